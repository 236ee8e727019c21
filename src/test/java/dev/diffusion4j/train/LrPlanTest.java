package dev.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diffusion4j.nn.optim.LrSchedule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The learning rate of runs whose step budget changed on resume: no jump, no restart unless asked for. */
class LrPlanTest {
    private static OptimConfig optim(String schedule) {
        return new OptimConfig(8, 1, 1e-3, 10, schedule, 0, 0.9, 0.999, 1, 0.99, true);
    }

    @Test
    void withoutChangesThePlanIsTheConfiguredSchedule() {
        LrSchedule plan = LrPlan.of(optim("cosine"), 100, List.of()), base = optim("cosine").schedule(100);
        for (long t = 0; t < 120; t++) assertEquals(base.lr(t), plan.lr(t), "step " + t);
    }

    @Test
    void aLongerBudgetContinuesTheCosineFromTheRateItReachedDownToZeroAtTheNewEnd() {
        OptimConfig o = optim("cosine");
        LrSchedule before = o.schedule(100);
        LrSchedule plan = LrPlan.of(o, 300, List.of(new RunHistory.BudgetChange(60, 100, 300, false)));
        for (long t = 0; t <= 60; t++) assertEquals(before.lr(t), plan.lr(t), "steps up to the resume keep their rate: " + t);
        for (long t = 61; t < 300; t++) {
            assertTrue(plan.lr(t) <= plan.lr(t - 1), "decays monotonically: " + t);
            assertTrue(plan.lr(t - 1) - plan.lr(t) < 2 * (before.lr(59) - before.lr(60)) + 1e-12, "no jump at " + t);
        }
        assertTrue(plan.lr(299) > 0 && plan.lr(299) < 1e-6, "reaches 0 at the new end: " + plan.lr(299));
        assertEquals(0, plan.lr(300));
    }

    @Test
    void aChangeDuringWarmupFinishesTheWarmupThenDecaysFromThePeak() {
        OptimConfig o = optim("cosine");
        LrSchedule plan = LrPlan.of(o, 200, List.of(new RunHistory.BudgetChange(5, 100, 200, false)));
        assertEquals(o.schedule(200).lr(7), plan.lr(7));
        assertEquals(1e-3, plan.lr(10), 1e-15);
        for (long t = 10; t < 200; t++) assertEquals(o.schedule(200).lr(t), plan.lr(t), 1e-15, "the cosine over the new budget: " + t);
    }

    @Test
    void aRestartStartsANewCycleFromThePeakAndChangesComposeInOrder() {
        OptimConfig o = optim("cosine");
        var first = new RunHistory.BudgetChange(100, 100, 150, true);
        var second = new RunHistory.BudgetChange(120, 150, 180, false);
        LrSchedule one = LrPlan.of(o, 150, List.of(first));
        assertEquals(0, one.lr(99) < 1e-6 ? 0 : 1, "the first budget decayed to about 0");
        assertEquals(1e-3, one.lr(100), 1e-15);
        LrSchedule two = LrPlan.of(o, 180, List.of(first, second));
        for (long t = 0; t <= 120; t++) assertEquals(one.lr(t), two.lr(t), "step " + t);
        assertTrue(two.lr(150) > 0, "the second change stretched the tail to 180");
        assertEquals(0, two.lr(180));
    }

    @Test
    void aConstantScheduleIsUnchangedByABudgetChange() {
        OptimConfig o = optim("constant");
        LrSchedule plan = LrPlan.of(o, 500, List.of(new RunHistory.BudgetChange(100, 100, 500, false)));
        for (long t = 0; t < 500; t++) assertEquals(o.schedule(100).lr(t), plan.lr(t), "step " + t);
    }
}
