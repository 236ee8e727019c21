package dev.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captioned image folders: metadata.jsonl and .txt sidecars, the rules between them, and every refusal's message. */
class FolderCaptionsTest {
    @TempDir Path root;
    final List<String> warnings = new ArrayList<>();

    private void png(String name, int rgb) throws IOException {
        TestFiles.image(root.resolve(name), TestFiles.solid(4, 4, rgb), "png");
    }

    private void text(String name, String content) throws IOException {
        TestFiles.bytes(root.resolve(name), content.getBytes(StandardCharsets.UTF_8));
    }

    private ImageFolderDataset open() {
        return ImageFolderDataset.open(root, 3, 4, warnings::add);
    }

    private static List<String> captions(ImageDataset ds) {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) c.add(ds.caption(i));
        return c;
    }

    /** The message of the refusal of {@code root}, which must contain every fragment. */
    private String refused(String... fragments) {
        DatasetException e = assertThrows(DatasetException.class, this::open);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        return e.getMessage();
    }

    @Test void metadataJsonlCaptionsEachImageByFileName() throws IOException {
        png("a.png", 0xFF0000);
        png("b.png", 0x00FF00);
        png("c.png", 0x0000FF);
        // out of order, a byte-order mark, a blank line, an extra key, Unicode, an escaped line break, an empty text
        text("metadata.jsonl", "\uFEFF{\"file_name\": \"b.png\", \"text\": \"  a green square \"}\n\n"
                + "{\"file_name\": \"./a.png\", \"text\": \"grinning face \uD83D\uDE00\\nwith  smiling eyes\", \"category\": \"Smileys\"}\r\n"
                + "{\"file_name\": \"c.png\", \"text\": \"\"}");
        ImageFolderDataset ds = open();
        assertEquals(List.of("grinning face \uD83D\uDE00 with  smiling eyes", "a green square", ""), captions(ds));
        assertEquals(List.of(), warnings, "metadata.jsonl is not reported as a skipped file");
        assertTrue(ds.describe().contains("captioned by metadata.jsonl"), ds.describe());
    }

    @Test void metadataNamesImagesInClassFoldersAndSkippedImagesKeepTheRestAligned() throws IOException {
        png("cats/a.png", 0xFF0000);
        TestFiles.bytes(root.resolve("cats/broken.png"), "not a PNG".getBytes());
        png("dogs/b.png", 0x0000FF);
        text("metadata.jsonl", "{\"file_name\": \"dogs/b.png\", \"text\": \"a dog\"}\n{\"file_name\": \"cats/broken.png\", \"text\": \"lost\"}\n"
                + "{\"file_name\": \"cats/a.png\", \"text\": \"a cat\"}\n");
        ImageFolderDataset ds = open();
        assertEquals(List.of("a cat", "a dog"), captions(ds));
        assertEquals(List.of(0, 1), List.of(ds.label(0), ds.label(1)));
        assertEquals(1, ds.skipped());
        ImageFolderDataset lazy = ImageFolderDataset.open(root, 3, 4, 0, warnings::add);
        assertEquals(List.of("a cat", "a dog"), captions(lazy), "the same captions when decoding on each load");
    }

    @Test void metadataFindsImagesWhoseNamesAreDecomposedUnicodeOnDisk() throws IOException {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")), "non-ASCII file names need a UTF-8 locale");
        png("u\u0308ber.png", 0xFF0000);          // as macOS names it: u + combining diaeresis
        png("cafe\u0301 2.png", 0x00FF00);
        text("metadata.jsonl", "{\"file_name\": \"\u00fcber.png\", \"text\": \"\u00fcber\"}\n"   // as a script writes it: composed
                + "{\"file_name\": \"caf\u00e9 2.png\", \"text\": \"caf\u00e9\"}\n");
        assertEquals(List.of("caf\u00e9", "\u00fcber"), captions(open()));
    }

    @Test void txtSidecarsCaptionTheImageOfTheSameName() throws IOException {
        png("a.png", 0xFF0000);
        png("sub/b.png", 0x00FF00);
        TestFiles.image(root.resolve("c.jpg"), TestFiles.solid(4, 4, 0x0000FF), "jpg");
        text("a.txt", "  a red\r\n   square \n");
        text("sub/b.txt", "\uFEFFa green square");
        text("c.txt", "");
        text("README.txt", "not a caption: no image is called README");
        ImageFolderDataset ds = open();
        assertEquals(List.of("a red square", "", "a green square"), captions(ds));   // files sort as a.png, c.jpg, sub/b.png
        assertTrue(ds.describe().contains("captioned by .txt files"), ds.describe());
        String skipped = warnings.getLast();   // the first warning: images both in the root and in sub/, so unlabeled
        assertTrue(skipped.contains("1 other file") && skipped.contains("README.txt"), "only README.txt is reported: " + warnings);
    }

    @Test void metadataWinsOverSidecarsWithAWarning() throws IOException {
        png("a.png", 0xFF0000);
        text("a.txt", "from the sidecar");
        text("metadata.jsonl", "{\"file_name\": \"a.png\", \"text\": \"from metadata\"}\n");
        assertEquals(List.of("from metadata"), captions(open()));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("a.txt") && warnings.getFirst().contains("ignored"), warnings.getFirst());
    }

    @Test void aFolderWithoutCaptionsStaysUncaptionedAndIsRefusedForTextToImage() throws IOException {
        png("a.png", 0xFF0000);
        ImageFolderDataset ds = open();
        assertNull(ds.caption(0));
        DatasetException e = assertThrows(DatasetException.class, () -> Captioned.require(ds, "--text-encoder"));
        for (String f : List.of("--text-encoder trains on captions, but the data has none", "NAME.txt", "metadata.jsonl", "docs/text-to-image.md"))
            assertTrue(e.getMessage().contains(f), f + " missing from: " + e.getMessage());
        Captioned.require(new ShapesDataset(4, 8, 3, 0), "--text-encoder");   // the shapes are captioned
    }

    @Test void partlyCaptionedFoldersNameTheFirstImageWithoutACaption() throws IOException {
        png("a.png", 0xFF0000);
        png("b.png", 0x00FF00);
        png("c.png", 0x0000FF);
        text("a.txt", "red");
        refused("2 of the 3 images under " + root, "no .txt caption", "the first being b.png", "write b.txt");
        text("metadata.jsonl", "{\"file_name\": \"c.png\", \"text\": \"blue\"}\n");
        refused("2 of the 3 images", "no line in metadata.jsonl", "the first being a.png", "{\"file_name\": \"a.png\"");
    }

    @Test void badMetadataLinesAreNamedByLineNumber() throws IOException {
        png("a.png", 0xFF0000);
        png("b.png", 0x00FF00);
        text("notes.md", "x");
        String good = "{\"file_name\": \"a.png\", \"text\": \"red\"}\n";
        String[][] cases = {
                {"{\"file_name\": \"gone.png\", \"text\": \"x\"}", "names gone.png, which does not exist"},
                {"{\"file_name\": \"a.png\", \"text\": \"again\"}", "names a.png again (first on line 1)"},
                {"{\"file_name\": \"b.png\", \"text\": \"x\"", "is not valid JSON"},
                {"[\"b.png\", \"x\"]", "is not a JSON object"},
                {"{\"file_name\": \"b.png\", \"caption\": \"x\"}", "has no \"text\""},
                {"{\"file_name\": \"b.png\", \"text\": 7}", "has a \"text\" that is not a string"},
                {"{\"text\": \"x\"}", "has no \"file_name\""},
                {"{\"file_name\": \"../b.png\", \"text\": \"x\"}", "which is not inside"},
                {"{\"file_name\": \"notes.md\", \"text\": \"x\"}", "which is not one of the folder's images"},
        };
        for (String[] c : cases) {
            text("metadata.jsonl", good + "\n" + c[0] + "\n");
            refused("metadata.jsonl line 3 ", c[1]);
        }
    }

    @Test void captionFilesThatAreNotUtf8AreRefused() throws IOException {
        png("a.png", 0xFF0000);
        TestFiles.bytes(root.resolve("a.txt"), new byte[] {'r', 'e', (byte) 0xC3, 'd'});
        refused("a.txt is not UTF-8");
        Files.delete(root.resolve("a.txt"));
        TestFiles.bytes(root.resolve("metadata.jsonl"), new byte[] {'{', (byte) 0xFF, '}'});
        refused("metadata.jsonl is not UTF-8");
    }

    @Test void captionsSurviveConversionSplitsAndTheLoader() throws IOException {
        for (int i = 0; i < 6; i++) {
            png("img" + i + ".png", 0x102030 * (i + 1));
            text("img" + i + ".txt", "caption " + i);
        }
        ImageDataset gray = ConvertedDataset.of(Datasets.open(root.toString(), 3, 4, "train", warnings::add), 1, 2);
        assertTrue(gray instanceof ConvertedDataset);
        assertEquals(List.of("caption 0", "caption 1", "caption 2", "caption 3", "caption 4", "caption 5"), captions(gray));
        assertEquals(List.of("caption 0", "caption 1", "caption 3", "caption 4"), captions(StridedSplit.kept(gray, 3)));
        assertEquals(List.of("caption 2", "caption 5"), captions(StridedSplit.heldOut(gray, 3)));
        try (DataLoader loader = DataLoader.evaluation(gray, 4)) {
            assertEquals(List.of("caption 0", "caption 1", "caption 2", "caption 3"), loader.next().captions());
        }
    }
}
