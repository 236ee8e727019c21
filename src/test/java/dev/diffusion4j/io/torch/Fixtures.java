package dev.diffusion4j.io.torch;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The checkpoints scripts/make_torch_fixtures.py wrote with real torch.save (committed: CI has no torch). The system
 * property {@code torch.fixtures} points the tests at a folder the script wrote with another torch version instead.
 */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        String other = System.getProperty("torch.fixtures");
        if (other != null && !other.isBlank()) return Path.of(other, name);
        try {
            return Path.of(Fixtures.class.getResource("/torch/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture torch/" + name, e);
        }
    }

    static byte[] bytes(String name) throws IOException {
        return java.nio.file.Files.readAllBytes(path(name));
    }
}
