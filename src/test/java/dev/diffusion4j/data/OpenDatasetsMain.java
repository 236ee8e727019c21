package dev.diffusion4j.data;

import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.io.SafeTensorsException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens each dataset path given as {@code name=path} (or {@code name=safetensors:path}) and
 * prints one line per case: OK, WARNING or REFUSED with the message. Any other exception
 * escapes with its stack trace (and an OutOfMemoryError ends the JVM), which the test catches.
 * Starts with the encoding the JVM uses for file names; ends with the peak heap use (summed over the heap pools' peaks: an upper bound).
 */
public final class OpenDatasetsMain {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding"));
        for (String arg : args) {
            String name = arg.substring(0, arg.indexOf('='));
            String spec = arg.substring(arg.indexOf('=') + 1);
            try {
                if (spec.startsWith("safetensors:")) {
                    int n = SafeTensors.read(Path.of(spec.substring("safetensors:".length()))).size();
                    out.println(name + ": OK " + n + " tensors");
                    continue;
                }
                List<String> warnings = new ArrayList<>();
                ImageDataset ds = Datasets.open(spec, 0, 8, "train", warnings::add);
                for (String w : warnings) out.println(name + ": WARNING " + w);
                out.println(name + ": OK " + ds.describe());
            } catch (DatasetException | SafeTensorsException e) {
                out.println(name + ": REFUSED " + e.getMessage());
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        out.println("peak heap " + (peak >> 20) + " MiB of " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
    }
}
