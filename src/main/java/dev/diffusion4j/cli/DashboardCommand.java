package dev.diffusion4j.cli;

import dev.diffusion4j.train.dashboard.DashboardServer;
import dev.diffusion4j.train.dashboard.RunFolders;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffuse dashboard}: the live dashboard over finished or running runs, until Ctrl-C. */
@Command(name = "dashboard", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve a dashboard of training runs in the browser: loss (raw and smoothed), learning rate, gradient norm, "
                + "throughput, ETA, GPU memory when logged, sample grids, evaluations, config and command line. It follows runs that "
                + "are training (the page updates every few seconds), says which finished, stopped or were interrupted, and overlays "
                + "the loss curves of several runs. Read-only; serves only files inside the run folders.",
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} dashboard runs",
                "  ${sys:diffuse.command:-diffuse} dashboard runs/shapes --port 0",
                "  ${sys:diffuse.command:-diffuse} train --dashboard          (live, while training)"})
public final class DashboardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "RUNS_DIR", arity = "0..1", defaultValue = "runs",
            description = "A run folder, or a folder holding run folders (up to two levels deep). Default: ${DEFAULT-VALUE}.")
    Path root;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + DashboardOptions.DEFAULT_PORT,
            description = "Port to serve on (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 lets other machines see your runs. Default: ${DEFAULT-VALUE}.")
    String host;

    @Override public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        OptionChecks c = new OptionChecks(spec);
        c.between("--port", port, 0, 65535);
        if (!Files.isDirectory(root))
            throw new IllegalArgumentException(Files.exists(root) ? root + " is a file; give a run folder or a folder of runs"
                    : "no folder " + root + "; give a run folder or a folder of runs (diffuse train writes runs/NAME)");
        int runs = new RunFolders(root).list().size();
        DashboardServer server = DashboardServer.start(root, host, port);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { server.close(); stop.countDown(); }, "dashboard-stop"));
        out.println("dashboard of " + root.toAbsolutePath().normalize() + " (" + (runs == 0 ? "no runs yet; they appear as they start"
                : runs + (runs == 1 ? " run" : " runs")) + "): " + server.url());
        out.println("serving until Ctrl-C");
        out.flush();
        stop.await();
        return 0;
    }
}
