# A plan file for `python -m sandbox`: the demo host offers echo, sleep, add, upper, fail.
# Calls return handles at once, so the three sleeps below overlap (about 0.5 s in all).
waits = [sleep(0.5) for i in range(3)]
greeting = upper(echo("hello from the plan process"))

words = greeting.split()
summary = {w: len(w) for w in words if len(w) > 4}
print(f"{len(words)} words, slept {sum(waits)} s in parallel")

failed = fail("a primitive can fail")  # returns a handle; nothing is raised yet
try:
    str(failed)  # using the value waits for it, and raises the primitive's error here
except PrimitiveError as err:
    note = str(err)

result = {"greeting": greeting, "summary": summary, "note": note}
