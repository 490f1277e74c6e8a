"""The dependency graph of a run: a node per primitive call, with data and control edges.

The runtime adds a node when the plan calls a primitive: a data edge from every handle passed as an
argument, a control edge from every value the plan waited on before the call. A call can only
depend on calls made before it, so every edge runs from a lower id to a higher one and the graph
is acyclic by construction; id order is a topological order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from codeplan._errors import UserError

__all__ = ["Edge", "Graph", "Node"]

Status = Literal["pending", "running", "ok", "error", "cancelled"]
Outcome = Literal["ok", "error", "cancelled"]
ARGS_CHARS = 120
_LABEL_ARGS_CHARS = 40

_MERMAID_CLASSES: dict[Status, str] = {
    "running": "fill:#fff3cd,stroke:#b8860b",
    "ok": "fill:#d4edda,stroke:#28a745",
    "error": "fill:#f8d7da,stroke:#dc3545",
    "cancelled": "fill:#e2e3e5,stroke:#6c757d,color:#6c757d",
}
_DOT_FILLS: dict[Status, str] = {
    "pending": "#ffffff",
    "running": "#fff3cd",
    "ok": "#d4edda",
    "error": "#f8d7da",
    "cancelled": "#e2e3e5",
}
# Mermaid entity codes, so that label text can never close the label or inject markup.
_MERMAID_ESCAPES = {c: f"#{ord(c)};" for c in '#"[](){}<>|`&'}


class Node(BaseModel):
    """One primitive call of a run.

    Attributes:
        id: position in the run, counting from 1.
        primitive: the primitive's name.
        args: a short summary of the arguments (at most 120 characters).
        status: pending → running → ok, error or cancelled.
        start, end: seconds since the run started; None until it happens.
        tokens, usd, calls: what its model calls used.
        cached: the result was reused from an identical earlier call.
        error: the failure's message when status is "error".
    """

    id: int
    primitive: str
    args: str = Field(default="", max_length=ARGS_CHARS)
    status: Status = "pending"
    start: float | None = None
    end: float | None = None
    tokens: int = 0
    usd: float = 0.0
    calls: int = 0
    cached: bool = False
    error: str | None = None

    @property
    def duration(self) -> float:
        """Seconds from start to end; 0 until the node has both."""
        if self.start is None or self.end is None:
            return 0.0
        return self.end - self.start


class Edge(BaseModel):
    """A dependency: `target` used the value of `source` ("data") or was called only after the
    plan waited on it ("control")."""

    model_config = ConfigDict(frozen=True)

    source: int
    target: int
    kind: Literal["data", "control"]


class Graph(BaseModel):
    """The calls of a run and their dependencies, in the order they were made.

    Example:

        >>> graph = Graph()
        >>> a = graph.add("generate", "'Write a haiku'")
        >>> b = graph.add("generate", "'Write a haiku'")
        >>> c = graph.add("select", "[1, 2]", data=[a.id, b.id])
        >>> graph.start(1, at=0.0); graph.finish(1, at=2.0, status="ok", tokens=120)
        >>> graph.start(2, at=0.0); graph.finish(2, at=3.0, status="ok", tokens=130)
        >>> graph.start(3, at=3.0); graph.finish(3, at=3.5, status="ok")
        >>> graph.critical_path()
        ([2, 3], 3.5)
        >>> round(graph.parallelism(), 2)
        1.57
    """

    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_shape(self) -> Graph:
        problems = [
            f"node at position {index} has id {node.id}"
            for index, node in enumerate(self.nodes, 1)
            if node.id != index
        ]
        problems += [
            f"edge {edge.source} -> {edge.target} must run from an earlier node to a later one"
            for edge in self.edges
            if not 1 <= edge.source < edge.target <= len(self.nodes)
        ]
        if problems:
            raise ValueError("Invalid Graph: " + "; ".join(problems) + ".")
        return self

    def add(
        self,
        primitive: str,
        args: str = "",
        *,
        data: Iterable[int] = (),
        control: Iterable[int] = (),
    ) -> Node:
        """Add a pending node for a call that depends on earlier nodes, and return it.

        A node that is both a data and a control dependency gets only the data edge.
        """
        new = len(self.nodes) + 1
        data_ids = list(dict.fromkeys(data))
        control_ids = [i for i in dict.fromkeys(control) if i not in data_ids]
        problems = [self._dependency_problem(i, new) for i in [*data_ids, *control_ids]]
        found = [problem for problem in problems if problem]
        if found:
            raise UserError(
                f"Cannot add node {new} (`{primitive}`): " + "; ".join(found) + "."
                " A node may depend only on nodes added before it."
            )
        node = Node(id=new, primitive=primitive, args=_shorten(args, ARGS_CHARS))
        self.nodes.append(node)
        self.edges += [Edge(source=i, target=new, kind="data") for i in data_ids]
        self.edges += [Edge(source=i, target=new, kind="control") for i in control_ids]
        return node

    def node(self, id: int) -> Node:
        """The node with this id."""
        if isinstance(id, int) and not isinstance(id, bool) and 1 <= id <= len(self.nodes):
            return self.nodes[id - 1]
        raise UserError(f"There is no node {id!r} in this graph ({self._ids_text()}).")

    def start(self, id: int, at: float) -> None:
        """Mark a pending node running from `at` (seconds since the run started)."""
        node = self.node(id)
        if node.status != "pending":
            raise UserError(
                f"Cannot start node {id} (`{node.primitive}`): it is already {node.status}."
                " Start each node once."
            )
        node.status = "running"
        node.start = at

    def finish(
        self,
        id: int,
        at: float,
        *,
        status: Outcome,
        tokens: int = 0,
        usd: float = 0.0,
        calls: int = 0,
        cached: bool = False,
        error: str | None = None,
    ) -> None:
        """Record how a node ended. A node may finish without starting (cancelled before it ran,
        or served from the cache); its start then stays None and its duration is 0."""
        node = self.node(id)
        if node.status not in ("pending", "running"):
            raise UserError(
                f"Cannot finish node {id} (`{node.primitive}`): it already ended as"
                f" {node.status}. Finish each node once."
            )
        if node.start is not None and at < node.start:
            raise UserError(
                f"Cannot finish node {id} (`{node.primitive}`) at {at} s: it started at"
                f" {node.start} s. Use the same clock for start and finish."
            )
        node.status = status
        node.end = at
        node.tokens = tokens
        node.usd = usd
        node.calls = calls
        node.cached = cached
        node.error = error

    def to_json(self) -> str:
        """The graph as JSON; `Graph.model_validate_json` reads it back."""
        return self.model_dump_json()

    def to_mermaid(self) -> str:
        """A Mermaid flowchart: data edges `-->`, control edges `-.->`, status as a class."""
        lines = ["flowchart TD"]
        lines += [f'    n{node.id}["{_mermaid_label(node)}"]' for node in self.nodes]
        for edge in self.edges:
            arrow = "-->" if edge.kind == "data" else "-.->"
            lines.append(f"    n{edge.source} {arrow} n{edge.target}")
        for status, style in _MERMAID_CLASSES.items():
            members = [f"n{node.id}" for node in self.nodes if node.status == status]
            if members:
                lines.append(f"    classDef {status} {style}")
                lines.append(f"    class {','.join(members)} {status}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """A Graphviz digraph: data edges solid, control edges dashed, status as fill colour."""
        lines = [
            "digraph codeplan {",
            '    node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        ]
        for node in self.nodes:
            label = "\\n".join(_dot_escape(line) for line in _label_lines(node))
            lines.append(
                f'    n{node.id} [label="{label}", fillcolor="{_DOT_FILLS[node.status]}"];'
            )
        for edge in self.edges:
            style = "" if edge.kind == "data" else " [style=dashed]"
            lines.append(f"    n{edge.source} -> n{edge.target}{style};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def critical_path(self) -> tuple[list[int], float]:
        """The chain of dependent nodes (over both edge kinds) with the largest total duration.

        Returns the chain's node ids in order and its total seconds; ([], 0.0) for no nodes.
        """
        before: dict[int, list[int]] = {node.id: [] for node in self.nodes}
        for edge in self.edges:
            before[edge.target].append(edge.source)
        longest: dict[int, float] = {}
        via: dict[int, int | None] = {}
        for node in self.nodes:  # id order is topological: every edge points to a later id
            previous = max(before[node.id], key=longest.__getitem__, default=None)
            longest[node.id] = node.duration + (0.0 if previous is None else longest[previous])
            via[node.id] = previous
        if not longest:
            return [], 0.0
        last = max(longest, key=longest.__getitem__)
        path: list[int] = []
        step: int | None = last
        while step is not None:
            path.append(step)
            step = via[step]
        return path[::-1], longest[last]

    def wall(self) -> float:
        """Seconds from the first start to the last end over nodes that ran; 0 if none did."""
        spans = [(n.start, n.end) for n in self.nodes if n.start is not None and n.end is not None]
        if not spans:
            return 0.0
        return max(end for _, end in spans) - min(start for start, _ in spans)

    def parallelism(self) -> float:
        """Average number of calls running at once: summed durations over wall time."""
        wall = self.wall()
        if wall == 0:
            return 0.0
        return sum(node.duration for node in self.nodes) / wall

    def _dependency_problem(self, dependency: int, new: int) -> str | None:
        if isinstance(dependency, bool) or not isinstance(dependency, int):
            return f"dependency {dependency!r} is not a node id"
        if dependency == new:
            return "it cannot depend on itself"
        if not 1 <= dependency < new:
            return f"there is no node {dependency} ({self._ids_text()})"
        return None

    def _ids_text(self) -> str:
        count = len(self.nodes)
        if count == 0:
            return "it has no nodes yet"
        return "it has node 1" if count == 1 else f"it has nodes 1 to {count}"


def _label_lines(node: Node) -> list[str]:
    stats = []
    if node.start is not None and node.end is not None:
        stats.append(f"{node.duration:.2f} s")
    elif node.status != "pending":
        stats.append(node.status)
    if node.tokens:
        stats.append(f"{node.tokens} tok")
    if node.usd:
        stats.append(f"${node.usd:.3g}")
    if node.cached:
        stats.append("cached")
    lines = [f"{node.id}: {node.primitive}"]
    if node.args:
        lines.append(_shorten(node.args, _LABEL_ARGS_CHARS))
    if stats:
        lines.append(" · ".join(stats))
    return lines


def _mermaid_label(node: Node) -> str:
    return "<br/>".join(
        "".join(_MERMAID_ESCAPES.get(c, c) for c in line) for line in _label_lines(node)
    )


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
