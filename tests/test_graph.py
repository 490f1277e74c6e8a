"""The run's dependency graph: nodes, edges, JSON, Mermaid / DOT pictures and the critical path."""

from __future__ import annotations

import doctest
import itertools
import re

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeplan import _graph
from codeplan._errors import UserError
from codeplan._graph import Edge, Graph, Node


def test_docstring_examples_run():
    result = doctest.testmod(_graph)
    assert result.attempted >= 5 and result.failed == 0


def timed(graph: Graph, primitive: str, start: float, end: float, **deps: list[int]) -> Node:
    """Add a node that ran from `start` to `end` and succeeded."""
    node = graph.add(primitive, **deps)
    graph.start(node.id, at=start)
    graph.finish(node.id, at=end, status="ok")
    return node


# --- Building -----------------------------------------------------------------------------------


def test_add_numbers_nodes_from_one_and_records_both_edge_kinds():
    graph = Graph()
    first = graph.add("generate", "'Write a haiku'")
    second = graph.add("validate", data=[1])
    third = graph.add("select", control=[2], data=[1])
    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert first == Node(id=1, primitive="generate", args="'Write a haiku'", status="pending")
    assert graph.edges == [
        Edge(source=1, target=2, kind="data"),
        Edge(source=1, target=3, kind="data"),
        Edge(source=2, target=3, kind="control"),
    ]
    assert graph.node(2) is second


def test_a_data_and_control_dependency_gets_only_the_data_edge():
    graph = Graph()
    graph.add("generate")
    graph.add("generate")
    graph.add("fix", data=[1, 1, 2], control=[2, 1, 2])
    assert graph.edges == [
        Edge(source=1, target=3, kind="data"),
        Edge(source=2, target=3, kind="data"),
    ]


def test_bad_dependencies_are_all_reported_and_nothing_is_added():
    graph = Graph()
    graph.add("generate")
    with pytest.raises(UserError) as info:
        graph.add("fix", data=[2, 7], control=[0])
    assert str(info.value) == (
        "Cannot add node 2 (`fix`): it cannot depend on itself; there is no node 7 (it has node"
        " 1); there is no node 0 (it has node 1). A node may depend only on nodes added before it."
    )
    assert len(graph.nodes) == 1 and graph.edges == []
    with pytest.raises(UserError, match=re.escape("there is no node 2 (it has no nodes yet)")):
        Graph().add("fix", control=[2])


def test_long_arguments_are_shortened_to_one_line_of_120_characters():
    node = Graph().add("generate", "x" * 100 + "\n   " + "y" * 100)
    assert len(node.args) == 120 and node.args.endswith("y…") and "\n" not in node.args
    with pytest.raises(pydantic.ValidationError):
        Node(id=1, primitive="generate", args="z" * 121)


def test_start_and_finish_record_times_usage_and_outcome():
    graph = Graph()
    node = graph.add("generate")
    assert node.duration == 0
    graph.start(1, at=1.25)
    assert node.status == "running" and node.duration == 0
    graph.finish(1, at=2.0, status="error", tokens=120, usd=0.002, calls=1, error="boom")
    assert (node.status, node.start, node.end, node.duration) == ("error", 1.25, 2.0, 0.75)
    assert (node.tokens, node.usd, node.calls, node.cached, node.error) == (
        120,
        0.002,
        1,
        False,
        "boom",
    )


def test_a_node_may_finish_without_starting():
    graph = Graph()
    node = graph.add("generate")
    graph.finish(1, at=3.0, status="cancelled")
    assert node.status == "cancelled" and node.start is None and node.duration == 0


def test_lifecycle_misuse_is_a_user_error():
    graph = Graph()
    graph.add("generate")
    graph.start(1, at=2.0)
    with pytest.raises(UserError, match=re.escape("already running. Start each node once")):
        graph.start(1, at=2.0)
    with pytest.raises(UserError, match=re.escape("at 1.0 s: it started at 2.0 s")):
        graph.finish(1, at=1.0, status="ok")
    graph.finish(1, at=3.0, status="ok")
    with pytest.raises(UserError, match="already ended as ok"):
        graph.finish(1, at=4.0, status="ok")
    for missing in (0, 2, True):
        with pytest.raises(UserError, match=f"There is no node {missing!r} in this graph"):
            graph.node(missing)


# --- Serialising ----------------------------------------------------------------------------


def sample() -> Graph:
    graph = Graph()
    timed(graph, "generate", 0.0, 1.5)
    timed(graph, "generate", 0.0, 2.0)
    graph.add("validate", "draft 1", data=[2], control=[1])
    graph.start(3, at=2.0)
    graph.finish(3, at=2.21, status="ok", tokens=120, usd=0.0004, calls=1)
    graph.add("fix", data=[3])
    graph.finish(4, at=2.5, status="cancelled")
    return graph


def test_json_round_trip():
    graph = sample()
    back = Graph.model_validate_json(graph.to_json())
    assert back == graph
    assert back.critical_path() == graph.critical_path()


def test_loading_json_rejects_edges_that_could_form_a_cycle():
    with pytest.raises(pydantic.ValidationError, match="edge 2 -> 1 must run from an earlier"):
        Graph.model_validate(
            {
                "nodes": [{"id": 1, "primitive": "a"}, {"id": 2, "primitive": "b"}],
                "edges": [{"source": 2, "target": 1, "kind": "data"}],
            }
        )
    with pytest.raises(pydantic.ValidationError, match="node at position 1 has id 5"):
        Graph.model_validate({"nodes": [{"id": 5, "primitive": "a"}], "edges": []})


def test_mermaid_shows_nodes_arrows_and_status_classes():
    text = sample().to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    n3["3: validate<br/>draft 1<br/>0.21 s · 120 tok · $0.0004"]' in lines
    assert "    n2 --> n3" in lines and "    n1 -.-> n3" in lines and "    n3 --> n4" in lines
    assert "    n1 --> n3" not in lines
    assert "    class n1,n2,n3 ok" in lines and "    class n4 cancelled" in lines
    assert any(line.startswith("    classDef ok fill:#d4edda") for line in lines)
    assert not any("classDef error" in line for line in lines)


def test_mermaid_labels_cannot_break_out_of_their_node():
    graph = Graph()
    graph.add("generate", 'say "hi"] --> evil[<b>x</b>')
    (label_line,) = [line for line in graph.to_mermaid().splitlines() if line.startswith("    n1")]
    label = label_line.removeprefix('    n1["').removesuffix('"]')
    assert not set('"[]<>') & set(label.replace("<br/>", ""))
    assert "#34;hi#34;#93; --#62; evil#91;#60;b#62;x" in label


def test_dot_shows_solid_data_and_dashed_control_edges():
    graph = sample()
    graph.add("judge", 'a "quoted" \\ arg', data=[4])
    text = graph.to_dot()
    assert text.startswith("digraph codeplan {\n") and text.endswith("}\n")
    assert "    n2 -> n3;" in text and "    n1 -> n3 [style=dashed];" in text
    assert '    n5 [label="5: judge\\na \\"quoted\\" \\\\ arg", fillcolor="#ffffff"];' in text
    assert '    n4 [label="4: fix\\ncancelled", fillcolor="#e2e3e5"];' in text  # never started


# --- Timing -------------------------------------------------------------------------------------


def test_critical_path_of_a_diamond_takes_the_slower_side():
    graph = Graph()
    timed(graph, "generate", 0, 1)
    timed(graph, "validate", 1, 4, data=[1])
    timed(graph, "validate", 1, 2, data=[1])
    timed(graph, "select", 4, 4.5, data=[2], control=[3])
    assert graph.critical_path() == ([1, 2, 4], 4.5)
    assert graph.wall() == 4.5
    assert graph.parallelism() == pytest.approx((1 + 3 + 1 + 0.5) / 4.5)


def test_critical_path_of_three_levels_follows_control_edges_too():
    graph = Graph()
    timed(graph, "generate", 0, 2)  # 1
    timed(graph, "generate", 0, 5)  # 2
    timed(graph, "generate", 0, 1)  # 3
    timed(graph, "validate", 2, 3, data=[1])  # 4: path 1-4 = 3
    timed(graph, "validate", 5, 6, control=[3, 2])  # 5: path 2-5 = 6
    timed(graph, "validate", 1, 7, data=[3])  # 6: path 3-6 = 7
    timed(graph, "select", 7, 9, data=[4, 6], control=[5])  # 7
    assert graph.critical_path() == ([3, 6, 7], 9)


def test_unfinished_nodes_weigh_nothing():
    graph = Graph()
    timed(graph, "generate", 0, 2)
    graph.add("validate", data=[1])
    graph.start(2, at=2)
    assert graph.critical_path() == ([1], 2)
    assert graph.wall() == 2 and graph.parallelism() == 1


def test_empty_graph_has_no_critical_path():
    assert Graph().critical_path() == ([], 0.0)
    assert Graph().wall() == 0 and Graph().parallelism() == 0


@st.composite
def dags(draw: st.DrawFn) -> Graph:
    """Random DAGs built through `add`, each node finished with an integer duration or left
    unfinished; integers keep every sum exact."""
    graph = Graph()
    for new in range(1, draw(st.integers(1, 9)) + 1):
        earlier = st.lists(st.integers(1, new - 1), max_size=3) if new > 1 else st.just([])
        data, control = draw(earlier), draw(earlier)
        graph.add("step", data=data, control=control)
        duration = draw(st.none() | st.integers(0, 20))
        if duration is not None:
            start = draw(st.integers(0, 50))
            graph.start(new, at=start)
            graph.finish(new, at=start + duration, status="ok")
    return graph


def longest_by_brute_force(graph: Graph) -> float:
    after: dict[int, list[int]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        after[edge.source].append(edge.target)

    def longest_from(id: int) -> float:
        rest = [longest_from(n) for n in after[id]]
        return graph.node(id).duration + max(rest, default=0)

    return max(longest_from(node.id) for node in graph.nodes)


@settings(max_examples=150, deadline=None)
@given(graph=dags())
def test_critical_path_is_the_longest_chain(graph):
    path, total = graph.critical_path()
    durations = [node.duration for node in graph.nodes]
    assert max(durations) <= total <= sum(durations)
    assert total == longest_by_brute_force(graph)
    # The path is a real chain whose durations add up to the total.
    linked = {(edge.source, edge.target) for edge in graph.edges}
    assert all(pair in linked for pair in itertools.pairwise(path))
    assert sum(graph.node(id).duration for id in path) == total
    assert graph.parallelism() >= 0
