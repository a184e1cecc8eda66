package dev.engram.engine.cpu;

import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CpuMemoryTest {
    @Test
    void scopesReturnTheirBytesAndThePeakRecordsTheHighWaterMark() {
        long before = CpuMemory.liveBytes();
        CpuMemory.resetPeak();
        try (TensorScope s = Tensors.scope()) {
            Tensor a = Tensor.zeros(1000);        // 4,000 bytes
            Tensor b = a.add(1f);                 // 4,000 more
            assertThat(CpuMemory.liveBytes() - before).isEqualTo(8000);
            b.free();
            assertThat(CpuMemory.liveBytes() - before).isEqualTo(4000);
        }
        assertThat(CpuMemory.liveBytes()).isEqualTo(before);
        assertThat(CpuMemory.peakBytes() - before).isEqualTo(8000);
    }
}
