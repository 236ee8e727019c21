package dev.diffusion4j.cli;

import dev.diffusion4j.engine.Backends;
import dev.diffusion4j.engine.Device;
import dev.diffusion4j.engine.dist.Communicator;
import dev.diffusion4j.engine.dist.LocalGroup;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.parallel.DataParallelRun;
import dev.diffusion4j.train.parallel.GradientBuckets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import picocli.CommandLine.Option;

/** {@code diffuse train}'s data-parallel options: how many ranks, on which devices, and the gradient bucket size. */
final class DataParallelOptions {
    @Option(names = "--gpus", paramLabel = "N", description = "Train data-parallel on GPUs cuda:0..cuda:N-1 (one thread per GPU, gradients all-reduced over NCCL); "
            + "--batch-size is the global batch, split evenly over the GPUs. Default: one device (--device).")
    Integer gpus;

    @Option(names = "--devices", paramLabel = "LIST", split = ",", description = "Train data-parallel on these devices, e.g. cuda:0,cuda:1, or cpu,cpu to simulate "
            + "two ranks on the CPU (same result as one rank on the same global batch; for testing). Instead of --gpus.")
    List<String> devices;

    @Option(names = "--simulate-ranks", paramLabel = "N", description = "Train as N data-parallel ranks simulated on the CPU (threads summing gradients in-process); "
            + "the same as --devices cpu,...,cpu.")
    Integer simulateRanks;

    @Option(names = "--bucket-mb", paramLabel = "MB", defaultValue = "25", description = "Gradient bucket size for the all-reduce with several ranks, in MB. Default: ${DEFAULT-VALUE}.")
    double bucketMb;

    /** Whether more than one rank was asked for. */
    boolean active() { return ranks().size() > 1; }

    /** The rank devices asked for (one entry, the run's own device, when none was). */
    List<Device> ranks() {
        List<Device> out = new ArrayList<>();
        if (gpus != null) for (int i = 0; i < gpus; i++) out.add(Device.cuda(i));
        else if (devices != null) for (String d : devices) out.add(Device.parse(d));
        else if (simulateRanks != null) for (int i = 0; i < simulateRanks; i++) out.add(Device.CPU);
        return out;
    }

    /**
     * The option checks: one way of naming the ranks, devices that exist, a global batch the ranks divide, no dropout
     * ({@code newModel}: the preset of a new run, null on resume, where the trainer checks the saved model), no conflicting flags.
     */
    void validate(OptionChecks c, int batchSize, String device, boolean deviceGiven, dev.diffusion4j.models.ModelConfig newModel, Double dropout) {
        int ways = (gpus != null ? 1 : 0) + (devices != null ? 1 : 0) + (simulateRanks != null ? 1 : 0);
        c.require(ways <= 1, "use one of --gpus, --devices and --simulate-ranks");
        if (gpus != null) c.between("--gpus", gpus, 1, 64);
        if (simulateRanks != null) c.between("--simulate-ranks", simulateRanks, 1, 64);
        c.positive("--bucket-mb", bucketMb);
        if (devices != null) for (String d : devices) c.parse("--devices", d, Device::parse);
        List<Device> ds = ranks();
        if (ds.isEmpty()) return;
        c.require(!deviceGiven || Device.parse(device).equals(ds.get(0)), "--device " + device + " is not the first rank's device " + ds.get(0)
                + "; leave --device out with --gpus, --devices or --simulate-ranks (or give the first rank's, e.g. to resume a run saved on it)");
        c.require(ds.stream().distinct().count() == ds.size() || ds.stream().noneMatch(Device::isCuda),
                "--devices lists a GPU twice; each rank needs its own GPU");
        c.require(ds.stream().allMatch(Device::isCuda) || ds.stream().noneMatch(Device::isCuda),
                "--devices mixes CPU and GPU ranks; use all cpu (simulated) or all cuda:N");
        if (ds.get(0).isCuda()) {
            int visible = Backends.cudaAvailable() ? dev.diffusion4j.engine.cuda.Nccl.visibleGpus() : 0;
            int highest = ds.stream().mapToInt(Device::index).max().orElse(0);
            c.require(highest < visible, ds.size() + " GPUs requested (up to cuda:" + highest + ") but " + visible + " visible here"
                    + (visible == 0 ? "; --simulate-ranks " + ds.size() + " runs the same ranks on the CPU" : ""));
        }
        if (ds.size() == 1) return;
        double p = dropout != null ? dropout : newModel instanceof dev.diffusion4j.models.UNetConfig u ? u.dropout() : 0;
        c.require(p == 0, "several ranks need --dropout 0 for now (this model's dropout is " + p + "): dropout masks are not yet drawn "
                + "per global sample, so a several-rank step would differ from the one-rank step");
        c.require(batchSize % ds.size() == 0, "--batch-size " + batchSize + " does not split evenly over " + ds.size()
                + " ranks; use a multiple of " + ds.size() + " (it is the global batch; each rank trains on batch/" + ds.size() + ")");
    }

    /** The features that train on one device for now (the trainer refuses them too, e.g. on resume), refused before any work. */
    void refuseOneDeviceFeatures(OptionChecks c, boolean textEncoder, boolean superResolution, String timestepSampler) {
        if (!active()) return;
        c.require(!textEncoder && !superResolution, "several ranks train unconditional and class-conditional diffusion runs; "
                + "text-to-image and super-resolution runs train on one device for now");
        c.require(!"loss-second-moment".equalsIgnoreCase(timestepSampler), "--timestep-sampler loss-second-moment trains on one device for now "
                + "(it learns from per-sample losses only one rank would see); use --timestep-sampler uniform with several ranks");
    }

    /** One line for the user: the ranks, their devices and each one's share of the global batch. */
    String describe(int globalBatch) {
        List<Device> ds = ranks();
        return "data-parallel: " + ds.size() + " ranks on " + ds.stream().map(Device::toString).collect(java.util.stream.Collectors.joining(","))
                + " (" + (ds.get(0).isCuda() ? "NCCL" : "simulated in-process") + "), global batch " + globalBatch + " = "
                + globalBatch / ds.size() + " per rank; rank 0 writes logs, grids and checkpoints";
    }

    /** The device rank 0 trains on: the first listed, or {@code device} when none is. */
    String leadDevice(String device) { return ranks().isEmpty() ? device : ranks().get(0).toString(); }

    /** Trains {@code lead} as rank 0 of the asked-for ranks; rank r > 0 is built by {@code makeRank} on its device. */
    Trainer.Result train(Trainer lead, java.util.function.Function<Device, Trainer> makeRank, Trainer.Position from, Trainer.Listener listener) {
        List<Device> ds = ranks();
        if (!lead.device().equals(ds.get(0)))
            throw new IllegalArgumentException("the run trains on " + lead.device() + " but the first rank device is " + ds.get(0)
                    + "; list " + lead.device() + " first, or resume with --device " + ds.get(0) + " beside them");
        long bucketBytes = Math.max(1, (long) (bucketMb * 1024 * 1024));
        IntFunction<Trainer> byRank = r -> makeRank.apply(ds.get(r));
        if (ds.get(0).isCuda()) {
            try (var group = dev.diffusion4j.engine.cuda.Nccl.group(ds)) {
                return DataParallelRun.train(lead, byRank, group.communicators(), bucketBytes, from, listener, group::abort);
            }
        }
        List<Communicator> comms = LocalGroup.create(ds.size(), COLLECTIVE_TIMEOUT);
        LocalGroup g = LocalGroup.of(comms.get(0));
        return DataParallelRun.train(lead, byRank, comms, bucketBytes, from, listener, () -> g.abort("another rank failed"));
    }

    /** How long a rank waits for the others at a collective before the run is declared hung (rank 0's grids and evaluations count). */
    static final Duration COLLECTIVE_TIMEOUT = Duration.ofHours(2);
}
