package com.example.engram;

import dev.engram.nn.models.ModelContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class OwnModelAndDataTest {
    @TempDir
    Path tmp;

    @Test
    void theUserModelMeetsTheContract() {
        assertThat(ModelContract.check(new StripesNet(1, 12, 4, 1), 1, 12, 4)).isEmpty();
    }

    @Test
    void ownModelAndDataGoThroughTrainingRewindingAndFlipping() throws IOException {
        OwnModelAndData.Results r = OwnModelAndData.run(tmp.resolve("run"), 160, 4);
        assertThat(r.folder().checkpoints()).hasSize(5);
        assertThat(r.rewound().groups()).containsExactly("conv", "fc1", "fc2");
        assertThat(r.rewound().finalClean()).isGreaterThan(0.5);
        assertThat(r.folder().hasResults("rewinding")).isTrue();
        assertThat(r.folder().hasResults("flipping")).isTrue();
    }
}
