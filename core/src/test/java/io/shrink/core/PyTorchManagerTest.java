package io.shrink.core;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The fixture of tests that run DJL ops: one PyTorch {@link NDManager} per test class, opened before its first test
 * and closed after its last. Tests open a sub-manager of it for what they allocate.
 */
public abstract class PyTorchManagerTest {
    /** The test class's base manager. */
    protected static NDManager manager;

    @BeforeAll
    static void startManager() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void stopManager() {
        manager.close();
    }
}
