# Four drafts at once, repaired in code; keep the two best; fix them; pick the best of all.
#   codeplan estimate examples/plans/best_of_fix.py --model fake/echo --task "..." -r "..."
#   codeplan exec examples/plans/best_of_fix.py --model fake/echo --task "..." -r "..."
drafts = best_of(4, TASK, repair=True)
verdicts = [validate(d) for d in drafts]
best = top(drafts, verdicts, k=2)
fixed = [fix(d) for d in best]
result = select(fixed + best, [validate(f) for f in fixed + best])
