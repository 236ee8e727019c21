package dev.diffusion4j.train;

import dev.diffusion4j.nn.optim.LrSchedule;
import java.util.List;

/**
 * The learning rate of every step of a run whose step budget may have changed on resume. Steps before a change
 * keep the rate they had, so a resumed run never jumps: a cosine schedule decays from the rate it reached at the
 * resume step (or, after warmup, from its peak) down to 0 at the new last step; a constant schedule stays as it was.
 * Only a change marked {@code restart} starts a new cosine cycle from the peak rate, at the user's request.
 */
public final class LrPlan {
    private LrPlan() {}

    /** The schedule for a run configured with {@code optim}, whose budget changes (oldest first) are {@code changes}. */
    public static LrSchedule of(OptimConfig optim, long steps, List<RunHistory.BudgetChange> changes) {
        long firstBudget = changes.isEmpty() ? steps : changes.get(0).from();
        LrSchedule plan = optim.schedule(firstBudget);
        if (!optim.lrSchedule().equalsIgnoreCase("cosine")) return plan;
        long warmupEnd = Math.min(optim.warmup(), firstBudget);
        for (RunHistory.BudgetChange c : changes) plan = continued(plan, c, warmupEnd, optim.lr());
        return plan;
    }

    private static LrSchedule continued(LrSchedule before, RunHistory.BudgetChange c, long warmupEnd, double peak) {
        long start = c.restart() ? c.at() : Math.max(c.at(), warmupEnd);
        double from = c.restart() ? peak : before.lr(start);
        LrSchedule tail = LrSchedule.cosine(from, 0, Math.max(1, c.to() - start), 0);
        return step -> step < start ? before.lr(step) : tail.lr(step - start);
    }
}
