package dev.diffusion4j.cli;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.ImageFolderDataset;
import dev.diffusion4j.data.ShapesDataset;
import dev.diffusion4j.train.Invocation;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.dashboard.DashboardServer;
import dev.diffusion4j.train.dashboard.Launches;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code diffuse train --dashboard [PORT]} (a picocli mixin): records the launch in the run folder (always, so a
 * dashboard opened later shows the command line) and serves the live dashboard while the run trains.
 */
public final class DashboardOptions {
    /** The port of a bare --dashboard. */
    static final int DEFAULT_PORT = 8700;
    /** How long the page stays served after training ends, so an open page can show how the run ended. */
    static final long LINGER_MS = 2L * DashboardServer.REFRESH_MS + 1000;

    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    @Option(names = "--dashboard", arity = "0..1", paramLabel = "PORT", fallbackValue = "" + DEFAULT_PORT,
            description = "Serve a live dashboard of the run (loss, learning rate, throughput, samples, config) at http://127.0.0.1:PORT/ "
                    + "while it trains; PORT defaults to " + DEFAULT_PORT + ", 0 picks a free one. Later: ${sys:diffuse.command:-diffuse} dashboard RUNS_DIR.")
    Integer port;

    @Option(names = "--dashboard-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address the --dashboard listens on; 0.0.0.0 lets other machines see your runs. Default: ${DEFAULT-VALUE}.")
    String host;

    private DashboardServer server;

    /** Checks the options before any work starts. */
    void validate() {
        if (port == null) return;
        new OptionChecks(mixee).between("--dashboard", port, 0, 65535);
        DashboardServer.checkFree(host, port);      // a taken port is refused now, not after the run folder is made
    }

    /** At the start of training: appends the launch record and, with --dashboard, starts serving and prints the address. */
    void begin(RunDir run, ImageDataset data, String device, PrintWriter out) {
        Launches.append(run.root(), commandLine(), device, classNames(data));
        if (port == null) return;
        server = DashboardServer.start(run.root(), host, port);
        out.println("dashboard: " + server.url() + "  (serves while training; afterwards: " + Invocation.command() + " dashboard " + Invocation.quote(run.root()) + ")");
        out.flush();
    }

    /** After training, however it ended: lets open pages show the final state, then stops serving. */
    void end(PrintWriter out) {
        if (server == null) return;
        try {
            Thread.sleep(LINGER_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        server = null;
        out.println("dashboard stopped; to view the run again: " + Invocation.command() + " dashboard " + mixee.findOption("--out").getValue());
        out.flush();
    }

    /** The command as typed (arguments with spaces or quotes are quoted for a POSIX shell). */
    private String commandLine() {
        List<String> args = new ArrayList<>(mixee.commandLine().getParseResult().originalArgs());
        StringBuilder sb = new StringBuilder(Invocation.command());
        if (args.isEmpty() || !args.get(0).equals(mixee.name())) sb.append(' ').append(mixee.name());
        for (String a : args) sb.append(' ').append(a.matches("[A-Za-z0-9_./:=,+@%-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        return sb.toString();
    }

    private static List<String> classNames(ImageDataset data) {
        if (data instanceof ShapesDataset) {
            List<String> out = new ArrayList<>();
            for (ShapesDataset.Shape s : ShapesDataset.Shape.values()) out.add(s.name().toLowerCase(Locale.ROOT));
            return out;
        }
        if (data instanceof ImageFolderDataset f) return f.classNames();
        return null;
    }
}
