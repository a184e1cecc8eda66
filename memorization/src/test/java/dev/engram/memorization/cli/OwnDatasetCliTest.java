package dev.engram.memorization.cli;

import dev.engram.datasets.Normalization;
import dev.engram.datasets.NpyWriter;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.datasets.FetchOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A researcher's own data through the CLI: a folder of PNGs in class sub-folders and a pair of {@code .npy} files each
 * go through {@code engram train} and every analysis and the report; bad input is refused before any folder is
 * written, with a message naming the file.
 */
class OwnDatasetCliTest extends CliTestBase {
    @TempDir
    Path tmp;

    /** Class k's images are a bright square at a class-specific place on noise, so the classes are learnable. */
    static void pngFolder(Path root, int classes, int perClass, int side, boolean rgb) throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        for (int k = 0; k < classes; k++) {
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(side, side, rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        boolean on = (y / (side / 2)) * 2 + x / (side / 2) == k % 4;
                        int v = Math.min(255, (on ? 180 : 20) + r.nextInt(60));
                        if (rgb) img.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (v / 2));
                        else img.getRaster().setSample(x, y, 0, v);
                    }
                }
                Path f = root.resolve("class-" + (char) ('a' + k)).resolve(String.format(Locale.ROOT, "%03d.png", i));
                Files.createDirectories(f.getParent());
                ImageIO.write(img, "png", f.toFile());
            }
        }
    }

    /** x (N, F) float32 with class-dependent means and y (N,) int64. */
    static void npyFolder(Path dir, int n, int features, int classes) throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int f = 0; f < features; f++) x[i * features + f] = (float) (r.nextGaussian() + (f % classes == y[i] ? 2 : 0)) * 3 + 10;
        }
        Files.createDirectories(dir);
        Files.write(dir.resolve("x.npy"), NpyWriter.float32(new long[] {n, features}, x));
        Files.write(dir.resolve("y.npy"), NpyWriter.labels(y));
    }

    @Test
    void aPngFolderGoesThroughTrainingEveryAnalysisAndTheReport() throws IOException {
        Path data = tmp.resolve("pngs");
        pngFolder(data, 3, 16, 8, true);
        Path run = tmp.resolve("run-folder");
        long t0 = System.nanoTime();
        assertThat(engram("train", "--run", run.toString(), "--dataset", "folder:" + data, "--model", "cnn",
                "--epochs", "2", "--batch-size", "8", "--noise", "0.2", "--lr", "0.05", "--test-fraction", "0.25",
                "--image-size", "8x8"))
                .as(err.toString()).isZero();
        ExperimentConfig cfg = RunFolder.open(run).config();
        assertThat(cfg.dataset()).isEqualTo("folder:" + data.toAbsolutePath().normalize());
        assertThat(cfg.imageSize()).isEqualTo("8x8");
        assertThat(cfg.testFraction()).isEqualTo(0.25);
        RunData rd = RunData.open(run, DataSource.catalog(FetchOptions.defaults().withOffline(true)));
        assertThat(rd.train().size()).isEqualTo(36);
        assertThat(rd.test().size()).isEqualTo(12);
        assertThat(rd.train().channels()).isEqualTo(3);
        assertThat(rd.noise().noisyCount()).isEqualTo(7);
        Normalization stored = rd.normalization();
        assertThat(run.resolve(RunFolder.NORMALIZATION)).isRegularFile();
        assertThat(stored).isEqualTo(Normalization.of(rd.train()));
        assertThat(stored.mean()).hasSize(3);
        // examples.csv: every training example's file, in index order; the pixels match the file's
        List<String> rows = Files.readAllLines(run.resolve(RunFolder.EXAMPLES));
        assertThat(rows.get(0)).isEqualTo("split,index,file,row");
        List<String[]> train = rows.stream().skip(1).map(r -> r.split(",", -1)).filter(r -> r[0].equals("train")).toList();
        List<String[]> test = rows.stream().skip(1).map(r -> r.split(",", -1)).filter(r -> r[0].equals("test")).toList();
        assertThat(train).hasSize(36);
        assertThat(test).hasSize(12);
        java.util.Set<String> files = new java.util.HashSet<>();
        for (int i = 0; i < train.size(); i++) {
            String[] r = train.get(i);
            assertThat(r[1]).isEqualTo(Integer.toString(i));
            assertThat(r[3]).isEmpty();
            BufferedImage img = ImageIO.read(data.resolve(r[2]).toFile());
            int rgb = img.getRGB(5, 2);
            // the run's example i was resized to 8x8 from the same 8x8 file: the pixel is the file's
            assertThat(rd.train().pixel(i, 0, 2, 5)).as(r[2]).isEqualTo((rgb >> 16) & 0xFF);
            assertThat(rd.train().label(i)).isEqualTo(r[2].charAt("class-".length()) - 'a');
            files.add(r[2]);
        }
        for (String[] r : test) files.add(r[2]);
        assertThat(files).hasSize(48);
        everyAnalysis(run, "cnn", t0);
    }

    @Test
    void npyFilesGoThroughTrainingEveryAnalysisAndTheReport() throws IOException {
        Path data = tmp.resolve("arrays");
        npyFolder(data, 60, 6, 3);
        Path run = tmp.resolve("run-npy");
        long t0 = System.nanoTime();
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model", "mlp",
                "--epochs", "2", "--batch-size", "8", "--noise", "0.2", "--lr", "0.05"))
                .as(err.toString()).isZero();
        RunData rd = RunData.open(run, DataSource.catalog(FetchOptions.defaults().withOffline(true)));
        assertThat(rd.train().size()).isEqualTo(48); // default test fraction 0.2
        assertThat(rd.train().isFloat()).isTrue();
        assertThat(rd.train().channels()).isEqualTo(6);
        float[] mean = rd.normalization().mean();
        assertThat(mean[0]).isBetween(9f, 20f); // computed from the data, not the paper's 0.5
        List<String> rows = Files.readAllLines(run.resolve(RunFolder.EXAMPLES));
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        int trainRows = 0;
        for (String row : rows.subList(1, rows.size())) {
            String[] r = row.split(",", -1);
            assertThat(r[2]).isEqualTo("x.npy");
            assertThat(seen.add(Integer.parseInt(r[3]))).as("row %s listed twice", r[3]).isTrue();
            if (r[0].equals("train")) {
                // example i's label is its row's: y = row % 3 in npyFolder
                assertThat(rd.train().label(Integer.parseInt(r[1]))).isEqualTo(Integer.parseInt(r[3]) % 3);
                trainRows++;
            }
        }
        assertThat(trainRows).isEqualTo(48);
        assertThat(seen).hasSize(60).first().isEqualTo(0);
        everyAnalysis(run, "mlp", t0);
    }

    @Test
    void trainingIntoAFolderHoldingOtherFilesIsRefusedAndLeavesThemAlone() throws IOException {
        Path run = tmp.resolve("my-notes");
        Files.createDirectories(run.resolve("drafts/old"));
        Files.writeString(run.resolve("paper.tex"), "precious");
        Files.writeString(run.resolve("drafts/old/a.csv"), "1,2\n");
        // the data does not exist: the folder is refused before the data is read
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + tmp.resolve("no-such-data"), "--model",
                "mlp", "--epochs", "1")).isNotZero();
        assertThat(err.toString()).contains("is not empty (it holds").doesNotContain("no-such-data");
        assertThat(out.toString()).doesNotContain("removed what it wrote");
        assertThat(run.resolve("paper.tex")).hasContent("precious");
        assertThat(run.resolve("drafts/old/a.csv")).hasContent("1,2");
        try (Stream<Path> s = Files.list(run)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("paper.tex", "drafts");
        }
    }

    @Test
    void aTrainingThatFailsBeforeItsFirstEpochRemovesOnlyWhatItWrote() throws IOException {
        Path data = tmp.resolve("arrays");
        npyFolder(data, 40, 6, 3);
        Path run = tmp.resolve("empty-folder");
        Files.createDirectories(run);
        // a learning rate this large makes the first step's loss non-finite: training stops in epoch 1
        int code = engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model", "mlp", "--epochs", "2",
                "--batch-size", "8", "--lr", "1e30");
        assertThat(code).as(out + "\n" + err).isNotZero();
        assertThat(out.toString()).contains("removed what it wrote in " + run);
        assertThat(run).isDirectory().isEmptyDirectory();
    }

    private void everyAnalysis(Path run, String model, long t0) throws IOException {
        String r = run.toString();
        List<String[]> commands = List.of(
                new String[] {"grad-accounting", "--run", r, "--checkpoints", "1,2"},
                new String[] {"rewind", "--run", r},
                new String[] {"retrain", "--run", r, "--epochs", "1"},
                new String[] {"flip", "--run", r, "--noisy", "2", "--clean", "2", "--max-units", "3",
                        "--reference", "8", "--eval-examples", "8", "--copies", "2"},
                new String[] {"etd", "--run", r, "--epochs", "1"},
                new String[] {"scores", "--run", r},
                new String[] {"checkpoint-scores", "--run", r},
                new String[] {"report", "--run", r});
        List<String> times = new ArrayList<>();
        times.add(String.format(Locale.ROOT, "train %.1f", (System.nanoTime() - t0) / 1e9));
        for (String[] c : commands) {
            long s = System.nanoTime();
            assertThat(engram(c)).as(String.join(" ", c) + "\n" + out + err).isZero();
            times.add(String.format(Locale.ROOT, "%s %.1f", c[0], (System.nanoTime() - s) / 1e9));
        }
        assertThat(run.resolve(RunFolder.REPORT)).isRegularFile();
        try (Stream<Path> s = Files.list(run.resolve(RunFolder.ANALYSES))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).hasSizeGreaterThanOrEqualTo(8);
        }
        System.out.println("[own data] " + model + " " + times);
    }

    /** Runs train on {@code dataset} into a fresh folder; checks it fails naming {@code named}, writing nothing. */
    private void refused(String dataset, String named, String... extra) {
        Path run = tmp.resolve("refused-run");
        List<String> args = new ArrayList<>(List.of("train", "--run", run.toString(), "--dataset", dataset, "--model",
                "mlp", "--epochs", "1"));
        args.addAll(List.of(extra));
        int code = engram(args.toArray(String[]::new));
        assertThat(code).as(out + "" + err).isNotZero();
        assertThat(err.toString()).contains(named);
        assertThat(run).doesNotExist();
    }

    @Test
    void datasetPathsAreStoredAbsoluteWithTheirCase() {
        assertThat(TrainCommand.datasetSpec(" MNIST ")).isEqualTo("mnist");
        assertThat(TrainCommand.datasetSpec("Folder:Data/Pets")).isEqualTo("folder:"
                + Path.of("Data/Pets").toAbsolutePath().normalize());
        assertThat(TrainCommand.datasetSpec("npy:~/x.npz")).isEqualTo("npy:"
                + Path.of(System.getProperty("user.home"), "x.npz").toAbsolutePath().normalize());
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path mixed = tmp.resolve("mixed");
        pngFolder(mixed, 2, 3, 8, false);
        BufferedImage big = new BufferedImage(12, 12, BufferedImage.TYPE_BYTE_GRAY);
        ImageIO.write(big, "png", mixed.resolve("class-b/zzz.png").toFile());
        refused("folder:" + mixed, "zzz.png");

        Path empty = tmp.resolve("empty");
        pngFolder(empty, 2, 3, 8, false);
        Files.createDirectories(empty.resolve("class-c"));
        refused("folder:" + empty, "class-c");

        Path broken = tmp.resolve("broken");
        pngFolder(broken, 2, 3, 8, false);
        Files.writeString(broken.resolve("class-a/bad.png"), "not a png");
        refused("folder:" + broken, "bad.png");

        Path labels = tmp.resolve("labels");
        npyFolder(labels, 10, 4, 2);
        Files.write(labels.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1, 0, 1, -3, 0, 1, 0, 1, 0}));
        refused("npy:" + labels, "y.npy");

        Path length = tmp.resolve("length");
        npyFolder(length, 10, 4, 2);
        Files.write(length.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1, 0, 1, 0, 1, 0, 1, 0}));
        refused("npy:" + length, "x.npy");

        Path npz = tmp.resolve("one.npz");
        NpyWriter.npz(npz, Map.of("x", NpyWriter.uint8(new long[] {4, 2}, new byte[8])));
        refused("npy:" + npz, "one.npz");

        refused("npy:" + tmp.resolve("nowhere"), "nowhere");
        // options that do not apply are refused too, naming the option
        npyFolder(tmp.resolve("ok"), 10, 4, 2);
        refused("npy:" + tmp.resolve("ok"), "--image-size 4x4", "--image-size", "4x4");
        refused("mnist", "--image-size 4x4", "--image-size", "4x4");
        refused("npy:" + tmp.resolve("ok"), "--test-fraction 1.5", "--test-fraction", "1.5");
        // a test fraction the data would ignore: a built-in dataset, or own data with its own test part
        refused("mnist", "--test-fraction applies to own datasets without a test part", "--test-fraction", "0.3");
        Path withTest = tmp.resolve("with-test");
        npyFolder(withTest, 10, 4, 2);
        Files.copy(withTest.resolve("x.npy"), withTest.resolve("x_test.npy"));
        Files.copy(withTest.resolve("y.npy"), withTest.resolve("y_test.npy"));
        refused("npy:" + withTest, "brings its own test set", "--test-fraction", "0.3");
    }
}
