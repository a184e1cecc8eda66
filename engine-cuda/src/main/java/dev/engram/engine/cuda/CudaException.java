package dev.engram.engine.cuda;

/** A CUDA driver, cuBLAS or cuDNN call returned an error; the message names the call and the code. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public CudaException(String message) {
        super(message);
    }
}
