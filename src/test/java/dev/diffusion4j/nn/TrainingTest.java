package dev.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.diffusion4j.engine.F;
import dev.diffusion4j.engine.Generator;
import dev.diffusion4j.engine.GradMode;
import dev.diffusion4j.engine.Tensor;
import dev.diffusion4j.nn.optim.AdamConfig;
import dev.diffusion4j.nn.optim.AdamW;
import dev.diffusion4j.nn.optim.GradClip;
import dev.diffusion4j.nn.optim.LrSchedule;
import org.junit.jupiter.api.Test;

class TrainingTest {
    @Test
    void tinyMlpFitsARegressionWithAdamW() {
        Generator gen = new Generator(2024);
        Sequential mlp = new Sequential(new Linear(1, 32, gen), new SiLU(), new Linear(32, 1, gen));
        Tensor x = Tensor.rand(new Generator(1), 64, 1).affine(4, -2);        // [-2, 2)
        Tensor y = x.mul(2).sin().add(x.mul(0.5));
        AdamW opt = new AdamW(mlp.parameters(), AdamConfig.adamWDefaults().withLr(2e-2).withWeightDecay(1e-4));
        LrSchedule lr = LrSchedule.cosine(2e-2, 20, 400, 1e-3);
        Ema ema = new Ema(mlp, 0.9, true);

        double first = F.mseLoss(mlp.forward(x), y).item(), last = first;
        for (int step = 0; step < 400; step++) {
            opt.zeroGrad();
            Tensor loss = F.mseLoss(mlp.forward(x), y);
            loss.backward();
            GradClip.clipGradNorm(mlp, 5.0);
            opt.setLr(lr.lr(step));
            opt.step();
            ema.update(mlp);
            last = loss.item();
        }
        assertTrue(last < first / 10, "loss " + first + " -> " + last);
        double emaLoss;
        try (var s = ema.swapInto(mlp); var g = GradMode.off()) { emaLoss = F.mseLoss(mlp.forward(x), y).item(); }
        assertTrue(emaLoss < first / 10, "EMA weights fit too: " + emaLoss);
    }
}
