package dev.engram.engine.cuda;

import dev.engram.engine.BackendProvider;
import dev.engram.engine.Backends;
import dev.engram.engine.Device;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The provider on whatever machine runs the build. Without a usable GPU (CI) it must give a
 * precise reason, never a LinkageError, and Backends must refuse cuda:0 with that reason; with
 * one, the backend must come up.
 */
class CudaProviderTest {
    @Test
    void isRegisteredAsAServiceForKindCuda() {
        boolean found = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p instanceof CudaBackendProvider) {
                found = true;
                assertThat(p.kind()).isEqualTo("cuda");
            }
        }
        assertThat(found).as("CudaBackendProvider listed in META-INF/services").isTrue();
    }

    @Test
    void reasonIsOneDescriptiveLineOrNullWhenUsable() {
        String reason = new CudaBackendProvider().unavailableReason();
        if (reason == null) {
            assertThat(Backends.available(Device.cuda(0))).isTrue();
            return;
        }
        assertThat(reason).doesNotContain("\n").hasSizeGreaterThan(20);
        assertThat(reason).containsAnyOf("libcuda.so.1", "libcublas", "libcudnn", "cuInit", "no CUDA device",
                "compute capability", "driver", "platform", "cannot load");
        // asking twice gives the same answer without retrying the loading
        assertThat(new CudaBackendProvider().unavailableReason()).isEqualTo(reason);
    }

    @Test
    void backendsRefuseCudaWithTheProvidersReason() {
        String reason = new CudaBackendProvider().unavailableReason();
        if (reason == null) {
            assertThat(Backends.get(Device.cuda(0)).device()).isEqualTo(Device.cuda(0));
            return;
        }
        assertThat(Backends.available(Device.cuda(0))).isFalse();
        assertThatThrownBy(() -> Backends.get(Device.cuda(0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CudaBackendProvider")
                .hasMessageContaining(reason);
        assertThatThrownBy(() -> CudaBackend.create(0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(reason);
        assertThat(Backends.available(Device.CPU)).isTrue();
    }

    @Test
    void doctorReportEndsWithTheVerdict() {
        String report = CudaDoctor.report();
        String reason = CudaSetup.get().reason();
        assertThat(report).contains("platform:").contains("driver library:").contains("cuBLAS:").contains("cuDNN:")
                .contains("kernel image: /dev/engram/engine/cuda/kernels.fatbin");
        if (reason == null) assertThat(report).endsWith("CUDA: usable\n");
        else assertThat(report).endsWith("CUDA: unavailable: " + reason + "\n");
    }
}
