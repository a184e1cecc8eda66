package dev.engram.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OwnDatasetsTest {
    @TempDir
    Path tmp;

    static void png(Path f, int h, int w, boolean rgb, int seed) throws IOException {
        Files.createDirectories(f.getParent());
        BufferedImage img = new BufferedImage(w, h, rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (seed * 37 + y * 11 + x * 5) & 0xFF;
                if (rgb) img.setRGB(x, y, (v << 16) | (((v + 40) & 0xFF) << 8) | ((v + 80) & 0xFF));
                else img.getRaster().setSample(x, y, 0, v);
            }
        }
        ImageIO.write(img, "png", f.toFile());
    }

    @Test
    void greyFolderIsReadInSortedClassAndFileOrderAndSplitDeterministically() throws IOException {
        for (int i = 0; i < 5; i++) png(tmp.resolve("b-cat/img" + i + ".png"), 4, 6, false, i);
        for (int i = 0; i < 5; i++) png(tmp.resolve("a-dog/img" + i + ".png"), 4, 6, false, 10 + i);
        Files.writeString(tmp.resolve("a-dog/notes.txt"), "skipped");
        TrainTest tt = ImageFolderReader.read(tmp, null, 0.2, OwnDatasets.SPLIT_SEED);
        assertThat(tt.train().size()).isEqualTo(8);
        assertThat(tt.test().size()).isEqualTo(2);
        Dataset tr = tt.train();
        assertThat(tr.channels()).isEqualTo(1);
        assertThat(tr.height()).isEqualTo(4);
        assertThat(tr.width()).isEqualTo(6);
        assertThat(tr.numClasses()).isEqualTo(2);
        assertThat(tr.originalIndex(3)).isEqualTo(3);
        // the split is fixed: reading twice gives the same examples
        TrainTest again = ImageFolderReader.read(tmp, null, 0.2, OwnDatasets.SPLIT_SEED);
        assertThat(again.train().labels()).isEqualTo(tr.labels());
        for (int i = 0; i < tr.size(); i++) assertThat(again.train().pixel(i, 0, 1, 2)).isEqualTo(tr.pixel(i, 0, 1, 2));
        // every pixel is one the files hold: class a-dog (label 0) images have seeds 10..14
        int label0 = 0;
        for (int i = 0; i < tr.size(); i++) if (tr.label(i) == 0) label0++;
        assertThat(label0 + (int) java.util.Arrays.stream(tt.test().labels()).filter(l -> l == 0).count()).isEqualTo(5);
    }

    @Test
    void trainAndTestFoldersRgbAndResize() throws IOException {
        for (String part : new String[] {"train", "test"}) {
            for (int i = 0; i < 3; i++) png(tmp.resolve(part + "/x/" + i + ".png"), 8, 8, true, i);
            for (int i = 0; i < 2; i++) png(tmp.resolve(part + "/y/" + i + ".png"), 8, 8, true, 5 + i);
        }
        TrainTest tt = ImageFolderReader.read(tmp, null, 0.5, 1);
        assertThat(tt.train().size()).isEqualTo(5);
        assertThat(tt.test().size()).isEqualTo(5);
        assertThat(tt.train().channels()).isEqualTo(3);
        int v = (0 * 37 + 2 * 11 + 3 * 5) & 0xFF;
        assertThat(tt.train().pixel(0, 0, 2, 3)).isEqualTo(v);
        assertThat(tt.train().pixel(0, 1, 2, 3)).isEqualTo((v + 40) & 0xFF);
        assertThat(tt.train().pixel(0, 2, 2, 3)).isEqualTo((v + 80) & 0xFF);
        TrainTest small = ImageFolderReader.read(tmp, new int[] {4, 2}, 0.5, 1);
        assertThat(small.train().height()).isEqualTo(4);
        assertThat(small.train().width()).isEqualTo(2);
        // bilinear 2x down-sampling with half-pixel centres averages 2x2 blocks (exact here: no wrap-around)
        byte[] src = {0, 10, 20, 30};
        assertThat(ImageFolderReader.resize(src, 1, 2, 2, 1, 1)[0]).isEqualTo((byte) 15);
    }

    @Test
    void badFoldersAreRefusedNamingTheFile() throws IOException {
        Path mixed = tmp.resolve("mixed");
        png(mixed.resolve("a/0.png"), 4, 4, false, 0);
        png(mixed.resolve("a/1.png"), 5, 4, false, 1);
        assertThatThrownBy(() -> ImageFolderReader.read(mixed, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("1.png").hasMessageContaining("5x4").hasMessageContaining("--image-size");
        // resize makes them usable
        assertThat(ImageFolderReader.read(mixed, new int[] {4, 4}, 0.5, 1).train().size()).isEqualTo(1);

        Path empty = tmp.resolve("empty");
        png(empty.resolve("a/0.png"), 4, 4, false, 0);
        Files.createDirectories(empty.resolve("b"));
        assertThatThrownBy(() -> ImageFolderReader.read(empty, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining(empty.resolve("b").toString()).hasMessageContaining("no PNG/JPEG");

        Path broken = tmp.resolve("broken");
        png(broken.resolve("a/0.png"), 4, 4, false, 0);
        Files.write(broken.resolve("a/1.png"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> ImageFolderReader.read(broken, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("1.png").hasMessageContaining("unreadable");

        Path channels = tmp.resolve("channels");
        png(channels.resolve("a/0.png"), 4, 4, false, 0);
        png(channels.resolve("a/1.png"), 4, 4, true, 0);
        assertThatThrownBy(() -> ImageFolderReader.read(channels, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("1.png").hasMessageContaining("channel");

        Path none = tmp.resolve("none");
        Files.createDirectories(none);
        assertThatThrownBy(() -> ImageFolderReader.read(none, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("no class sub-folders");
    }

    @Test
    void trainWithValOrAloneIsALayoutNotTwoClassesAndMixedLayoutsAreRefused() throws IOException {
        Path tv = tmp.resolve("train-val");
        for (String part : new String[] {"train", "val"}) {
            for (int k = 0; k < 3; k++) png(tv.resolve(part + "/c" + k + "/0.png"), 2, 2, false, k);
        }
        png(tv.resolve("train/c1/1.png"), 2, 2, false, 9);
        TrainTest tt = ImageFolderReader.read(tv, null, 0.5, 1);
        assertThat(tt.train().numClasses()).isEqualTo(3);
        assertThat(tt.train().labels()).containsExactly(0, 1, 1, 2);
        assertThat(tt.test().labels()).containsExactly(0, 1, 2);

        Path alone = tmp.resolve("train-alone");
        for (int k = 0; k < 2; k++) for (int i = 0; i < 3; i++) png(alone.resolve("train/c" + k + "/" + i + ".png"), 2, 2, false, i);
        TrainTest split = ImageFolderReader.read(alone, null, 0.5, 1);
        assertThat(split.train().numClasses()).isEqualTo(2);
        assertThat(split.train().size() + split.test().size()).isEqualTo(6);

        Path mixed = tmp.resolve("train-and-class");
        png(mixed.resolve("train/a/0.png"), 2, 2, false, 0);
        png(mixed.resolve("b/0.png"), 2, 2, false, 1);
        assertThatThrownBy(() -> ImageFolderReader.read(mixed, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining(mixed.toString()).hasMessageContaining("other folders [b]");
        // train/ + val/ + test/ (a common layout) and stray folders such as __MACOSX/: test/ is the held-out part
        Path three = tmp.resolve("train-val-test");
        for (String part : new String[] {"train", "val", "test", "__MACOSX"}) png(three.resolve(part + "/a/0.png"), 2, 2, false, 0);
        png(three.resolve("test/a/1.png"), 2, 2, false, 1);
        assertThat(ImageFolderReader.read(three, null, 0.5, 1).test().size()).isEqualTo(2);
        Path two = tmp.resolve("two-held-out");
        for (String part : new String[] {"train", "valid", "val"}) png(two.resolve(part + "/a/0.png"), 2, 2, false, 0);
        assertThatThrownBy(() -> ImageFolderReader.read(two, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("several held-out folders [val, valid]");
        Path noTrain = tmp.resolve("val-only");
        png(noTrain.resolve("val/a/0.png"), 2, 2, false, 0);
        png(noTrain.resolve("b/0.png"), 2, 2, false, 0);
        assertThatThrownBy(() -> ImageFolderReader.read(noTrain, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("has a val/ folder but no train/ folder");
    }

    @Test
    void filesInHiddenSubFoldersOfAClassAreSkipped() throws IOException {
        // before the fix Jupyter's checkpoint copies were read as more examples of the class
        Path root = tmp.resolve("hidden");
        png(root.resolve("train/a/0.png"), 2, 2, false, 0);
        png(root.resolve("train/a/.ipynb_checkpoints/0-checkpoint.png"), 2, 2, false, 0);
        png(root.resolve("train/a/.cache/deep/1.png"), 2, 2, false, 1);
        png(root.resolve("train/b/sub/2.png"), 2, 2, false, 2); // a visible sub-folder is read
        png(root.resolve("test/a/3.png"), 2, 2, false, 3);
        png(root.resolve("test/b/4.png"), 2, 2, false, 4);
        Dataset tr = ImageFolderReader.read(root, null, 0.5, 1).train();
        assertThat(tr.labels()).containsExactly(0, 1);
        Path onlyHidden = tmp.resolve("only-hidden");
        png(onlyHidden.resolve("a/0.png"), 2, 2, false, 0);
        png(onlyHidden.resolve("b/.ipynb_checkpoints/1-checkpoint.png"), 2, 2, false, 1);
        assertThatThrownBy(() -> ImageFolderReader.read(onlyHidden, null, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining(onlyHidden.resolve("b").toString()).hasMessageContaining("no PNG/JPEG");
    }

    /** A PNG written byte by byte: IHDR of {@code bitDepth} and {@code colourType}, one IDAT of the filter-0 rows. */
    static void rawPng(Path f, int w, int h, int bitDepth, int colourType, byte[] row) throws IOException {
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        for (int y = 0; y < h; y++) {
            raw.write(0);
            raw.write(row, 0, row.length);
        }
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (var d = new java.util.zip.DeflaterOutputStream(z)) {
            raw.writeTo(d);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bitDepth).put((byte) colourType)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        Files.createDirectories(f.getParent());
        Files.write(f, out.toByteArray());
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(t);
        out.write(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void greyPngsOfOneTwoAndFourBitsAreOneChannelLikeEightBitOnes() throws IOException {
        // before the fix ImageIO's palette for low bit depths made them 3-channel colour, refused next to 8-bit grey
        Path root = tmp.resolve("bits");
        rawPng(root.resolve("train/a/g8.png"), 4, 2, 8, 0, new byte[] {0, 85, (byte) 170, (byte) 255});
        rawPng(root.resolve("train/b/g1.png"), 4, 2, 1, 0, new byte[] {(byte) 0b1010_0000});       // 1 0 1 0
        rawPng(root.resolve("train/b/g2.png"), 4, 2, 2, 0, new byte[] {(byte) 0b00_01_10_11});      // 0 1 2 3
        rawPng(root.resolve("test/a/g4.png"), 4, 2, 4, 0, new byte[] {(byte) 0x05, (byte) 0xAF});   // 0 5 10 15
        rawPng(root.resolve("test/b/g8.png"), 4, 2, 8, 0, new byte[] {1, 2, 3, 4});
        TrainTest tt = ImageFolderReader.read(root, null, 0.5, 1);
        Dataset tr = tt.train(), te = tt.test();
        assertThat(tr.channels()).isEqualTo(1);
        assertThat(te.channels()).isEqualTo(1);
        // levels scale to 0..255 as PNG specifies: v * 255 / (2^bits - 1)
        int[][] expected = {{0, 85, 170, 255}, {255, 0, 255, 0}, {0, 85, 170, 255}};
        for (int i = 0; i < 3; i++) {
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 4; x++) assertThat(tr.pixel(i, 0, y, x)).as("image %d (%d,%d)", i, y, x).isEqualTo(expected[i][x]);
            }
        }
        assertThat(tr.labels()).containsExactly(0, 1, 1);
        for (int x = 0; x < 4; x++) assertThat(te.pixel(0, 0, 1, x)).isEqualTo(new int[] {0, 85, 170, 255}[x]);
        // a palette PNG stays colour
        Path pal = tmp.resolve("palette");
        png(pal.resolve("a/0.png"), 2, 4, true, 0);
        java.awt.image.IndexColorModel icm = new java.awt.image.IndexColorModel(1, 2, new byte[] {0, (byte) 255},
                new byte[] {0, 0}, new byte[] {0, 0});
        BufferedImage p = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_BINARY, icm);
        p.getRaster().setSample(1, 0, 0, 1);
        ImageIO.write(p, "png", pal.resolve("a/1.png").toFile());
        Dataset colour = ImageFolderReader.read(pal, null, 0.5, 1).train();
        assertThat(colour.channels()).isEqualTo(3);
    }

    @Test
    void npyChannelsFirstUint8AndChannelsLastFloatAgree() throws IOException {
        int n = 6, c = 3, h = 5, w = 5; // 4-D arrays with both dims 1 and 3 <= 4 are taken as (N,C,H,W)
        byte[] nchw = new byte[n * c * h * w];
        float[] nhwc = new float[nchw.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int k = 0; k < h * w; k++) {
                    int v = (i * 40 + ch * 7 + k) & 0xFF;
                    nchw[((i * c) + ch) * h * w + k] = (byte) v;
                    nhwc[(i * h * w + k) * c + ch] = v / 255f;
                }
            }
        }
        int[] y = {0, 1, 2, 0, 1, 2};
        Path a = Files.createDirectories(tmp.resolve("a"));
        Files.write(a.resolve("x.npy"), NpyWriter.uint8(new long[] {n, c, h, w}, nchw));
        Files.write(a.resolve("y.npy"), NpyWriter.labels(y));
        Path b = tmp.resolve("b.npz");
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x", NpyWriter.float32(new long[] {n, h, w, c}, nhwc));
        m.put("y", NpyWriter.labels(y));
        NpyWriter.npz(b, m);
        TrainTest ta = NpyDatasetReader.read(a, 0.34, 3);
        TrainTest tb = NpyDatasetReader.read(b, 0.34, 3);
        assertThat(ta.train().isFloat()).isFalse();
        assertThat(tb.train().isFloat()).isTrue();
        assertThat(ta.train().size()).isEqualTo(4);
        assertThat(ta.train().numClasses()).isEqualTo(3);
        assertThat(tb.train().labels()).isEqualTo(ta.train().labels());
        for (int i = 0; i < 4; i++) {
            for (int ch = 0; ch < c; ch++) {
                assertThat(tb.train().value(i, ch, 1, 0)).isEqualTo(ta.train().value(i, ch, 1, 0));
            }
        }
        // normalization from the training split is the same for both, and the loaders give the same batches
        Normalization na = Normalization.of(ta.train()), nb = Normalization.of(tb.train());
        assertThat(nb.mean()).containsExactly(na.mean());
        float[] fa = new float[75], fb = new float[75];
        ta.train().copyImageAsFloat(2, fa, 0, na);
        tb.train().copyImageAsFloat(2, fb, 0, nb);
        assertThat(fb).containsExactly(fa);
        try (DataLoader la = DataLoader.builder(ta.train()).batchSize(3).shuffle(true, 1).normalization(na)
                .augmentation(Augmentation.cropAndFlip(2)).build();
             DataLoader lb = DataLoader.builder(tb.train()).batchSize(3).shuffle(true, 1).normalization(nb)
                     .augmentation(Augmentation.cropAndFlip(2)).build()) {
            var ia = la.iterator();
            var ib = lb.iterator();
            while (ia.hasNext()) {
                Batch ba = ia.next(), bb = ib.next();
                assertThat(bb.indices()).isEqualTo(ba.indices());
                assertThat(bb.x()).containsExactly(ba.x());
            }
        }
        // per-channel stats over the training split
        double sum = 0;
        for (int i = 0; i < 4; i++) for (int k = 0; k < 25; k++) sum += ta.train().value(i, 1, k / 5, k % 5);
        assertThat((double) na.mean()[1]).isCloseTo(sum / 100, within(1e-6));
    }

    @Test
    void tabularAndFixedTestArrays() throws IOException {
        int n = 5, f = 3;
        float[] x = new float[n * f];
        for (int k = 0; k < x.length; k++) x[k] = k * 0.5f - 2;
        Path d = Files.createDirectories(tmp.resolve("tab"));
        Files.write(d.resolve("x.npy"), NpyWriter.float32(new long[] {n, f}, x));
        Files.write(d.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1, 0, 1, 1}));
        Files.write(d.resolve("x_test.npy"), NpyWriter.float32(new long[] {2, f}, new float[6]));
        Files.write(d.resolve("y_test.npy"), NpyWriter.labels(new int[] {1, 0}));
        TrainTest tt = NpyDatasetReader.read(d, 0.5, 1);
        assertThat(tt.train().size()).isEqualTo(5);
        assertThat(tt.test().size()).isEqualTo(2);
        assertThat(tt.train().channels()).isEqualTo(3);
        assertThat(tt.train().height()).isEqualTo(1);
        assertThat(tt.train().value(4, 2, 0, 0)).isEqualTo(x[14]);
    }

    @Test
    void badArraysAreRefusedNamingTheFile() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("len"));
        Files.write(d.resolve("x.npy"), NpyWriter.uint8(new long[] {4, 1, 2, 2}, new byte[16]));
        Files.write(d.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1, 0}));
        assertThatThrownBy(() -> NpyDatasetReader.read(d, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("x.npy").hasMessageContaining("4 examples").hasMessageContaining("3 labels");

        Path r = Files.createDirectories(tmp.resolve("range"));
        Files.write(r.resolve("x.npy"), NpyWriter.uint8(new long[] {3, 1, 2, 2}, new byte[12]));
        Files.write(r.resolve("y.npy"), NpyWriter.labels(new int[] {0, -1, 1}));
        assertThatThrownBy(() -> NpyDatasetReader.read(r, 0.5, 1)).isInstanceOf(InvalidDatasetException.class)
                .hasMessageContaining("y.npy").hasMessageContaining("out of range");

        Path nan = Files.createDirectories(tmp.resolve("nan"));
        Files.write(nan.resolve("x.npy"), NpyWriter.float32(new long[] {2, 2}, new float[] {0, Float.NaN, 1, 1}));
        Files.write(nan.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1}));
        assertThatThrownBy(() -> NpyDatasetReader.read(nan, 0.5, 1)).hasMessageContaining("x.npy")
                .hasMessageContaining("not finite");

        Path missing = Files.createDirectories(tmp.resolve("missing"));
        Files.write(missing.resolve("x.npy"), NpyWriter.uint8(new long[] {2, 2}, new byte[4]));
        assertThatThrownBy(() -> NpyDatasetReader.read(missing, 0.5, 1)).hasMessageContaining("y.npy")
                .hasMessageContaining("missing");

        Path npz = tmp.resolve("bad.npz");
        NpyWriter.npz(npz, Map.of("x", NpyWriter.uint8(new long[] {2, 2}, new byte[4])));
        assertThatThrownBy(() -> NpyDatasetReader.read(npz, 0.5, 1)).hasMessageContaining("bad.npz")
                .hasMessageContaining("'y'");

        Path notZip = tmp.resolve("text.npz");
        Files.writeString(notZip, "hello\n");
        assertThatThrownBy(() -> NpyDatasetReader.read(notZip, 0.5, 1)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("text.npz").hasMessageContaining("expected a zip archive of .npy arrays")
                .hasMessageContaining("found other bytes");

        Path dirX = Files.createDirectories(tmp.resolve("dirx"));
        Files.createDirectories(dirX.resolve("x.npy"));
        Files.write(dirX.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1}));
        assertThatThrownBy(() -> NpyDatasetReader.read(dirX, 0.5, 1)).hasMessageContaining("x.npy")
                .hasMessageContaining("not a regular file");

        Path unseen = Files.createDirectories(tmp.resolve("unseen"));
        Files.write(unseen.resolve("x.npy"), NpyWriter.uint8(new long[] {2, 1, 2, 2}, new byte[8]));
        Files.write(unseen.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1}));
        Files.write(unseen.resolve("x_test.npy"), NpyWriter.uint8(new long[] {2, 1, 2, 2}, new byte[8]));
        Files.write(unseen.resolve("y_test.npy"), NpyWriter.labels(new int[] {1, 9}));
        assertThatThrownBy(() -> NpyDatasetReader.read(unseen, 0.5, 1)).hasMessageContaining("y_test.npy")
                .hasMessageContaining("label 9 of test example 1");

        Path dtype = Files.createDirectories(tmp.resolve("dtype"));
        Files.write(dtype.resolve("x.npy"), NpyWriter.int64(new long[] {2, 1}, new long[] {1, 2}));
        Files.write(dtype.resolve("y.npy"), NpyWriter.labels(new int[] {0, 1}));
        assertThatThrownBy(() -> NpyDatasetReader.read(dtype, 0.5, 1)).hasMessageContaining("x.npy")
                .hasMessageContaining("uint8 or float32");
    }

    @Test
    void symbolicallyLinkedClassFoldersAreFollowed() throws IOException {
        Path real = tmp.resolve("real");
        for (int i = 0; i < 2; i++) png(real.resolve("a/" + i + ".png"), 4, 4, false, i);
        Path root = Files.createDirectories(tmp.resolve("root"));
        for (int i = 0; i < 2; i++) png(root.resolve("b/" + i + ".png"), 4, 4, false, i);
        try {
            Files.createSymbolicLink(root.resolve("a"), real.resolve("a"));
        } catch (UnsupportedOperationException | IOException e) {
            return; // no symbolic links on this file system
        }
        TrainTest tt = ImageFolderReader.read(root, null, 0.25, 1);
        assertThat(tt.train().size() + tt.test().size()).isEqualTo(4);
    }

    @Test
    void imageSizeSyntax() {
        assertThat(OwnDatasets.parseImageSize("32x24")).containsExactly(32, 24);
        assertThat(OwnDatasets.parseImageSize(null)).isNull();
        assertThatThrownBy(() -> OwnDatasets.parseImageSize("32")).hasMessageContaining("HxW");
        assertThatThrownBy(() -> OwnDatasets.parseImageSize("0x4")).hasMessageContaining("HxW");
    }
}
