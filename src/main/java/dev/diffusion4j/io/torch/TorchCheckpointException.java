package dev.diffusion4j.io.torch;

import java.io.IOException;

/**
 * A PyTorch checkpoint that cannot be read safely: malformed, truncated, or asking for something a state dict does not
 * need (a Python global other than the few tensor rebuilders, an opcode that builds arbitrary objects). The message
 * names the file where there is one and says what was found.
 */
public class TorchCheckpointException extends IOException {
    public TorchCheckpointException(String message) {
        super(message);
    }

    public TorchCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
