package dev.diffusion4j.data;

import dev.diffusion4j.io.Json;
import dev.diffusion4j.io.JsonException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The captions of an image folder, for text-to-image training. Two sources, as the Hugging Face imagefolder and
 * common training scripts use them:
 * <ul>
 *   <li>{@code metadata.jsonl} at the folder's root: one JSON object per line with {@code "file_name"} (the image's
 *   path relative to the root) and {@code "text"}; other keys are ignored, blank lines skipped;</li>
 *   <li>{@code NAME.txt} beside each image {@code NAME.EXT}, UTF-8.</li>
 * </ul>
 * Rules: metadata.jsonl wins when both exist (the .txt files are then ignored, with a warning); a captioned folder
 * must caption every image (an empty text is allowed and trains that image unprompted), otherwise one error names
 * the first image without one; a metadata line that is not a JSON object, lacks a string "file_name" or "text",
 * names a file that is not one of the folder's images, or names one twice is an error naming the line. A folder
 * with neither source is uncaptioned. Captions are trimmed and their line breaks joined with a space, so each is
 * one line (the prompts beside a sample grid are written one per line).
 */
final class FolderCaptions {
    static final String METADATA = "metadata.jsonl";
    /** A caption file larger than this is not a caption (and reading it whole could exhaust memory). */
    static final long MAX_CAPTION_BYTES = 1 << 20;

    /** Captions in the order of the scan's files, and where they came from ("metadata.jsonl" or ".txt files"). */
    record Captions(String[] texts, String source) {}

    private FolderCaptions() {}

    /** The captions of {@code scan}'s images, or null when the folder has no caption source. */
    static Captions read(FolderScan scan, Consumer<String> warnings) {
        if (scan.metadata() != null) {
            if (!scan.sidecars().isEmpty()) {
                Path example = scan.sidecars().values().stream().sorted().findFirst().orElseThrow();
                warnings.accept("captions come from " + scan.metadata() + "; the " + scan.sidecars().size() + " .txt caption files beside images (e.g. "
                        + scan.root().relativize(example) + ") are ignored");
            }
            return new Captions(fromMetadata(scan), METADATA);
        }
        if (!scan.sidecars().isEmpty()) return new Captions(fromSidecars(scan), ".txt files");
        return null;
    }

    private static String[] fromMetadata(FolderScan scan) {
        Path root = scan.root().normalize();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < scan.files().size(); i++) index.put(key(scan.files().get(i)), i);
        String[] texts = new String[scan.files().size()];
        int[] lineOf = new int[texts.length];
        Path file = scan.metadata();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1);   // a byte-order mark some editors write
                if (line.isBlank()) continue;
                Map<String, Object> entry = entry(file, lineNo, line);
                String name = string(file, lineNo, entry, "file_name");
                String text = string(file, lineNo, entry, "text");
                int i = imageIndex(file, lineNo, root, name, index);
                if (texts[i] != null) {
                    throw new DatasetException(file + " line " + lineNo + " names " + name + " again (first on line " + lineOf[i] + ")",
                            "give each image one line");
                }
                texts[i] = clean(text);
                lineOf[i] = lineNo;
            }
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + " is not UTF-8 text", "save it as UTF-8", e);
        } catch (IOException e) {
            throw new DatasetException("could not read " + file + ": " + e, "check the file's permissions", e);
        }
        requireAll(scan, texts, "have no line in " + file.getFileName(),
                name -> "add a line {\"file_name\": \"" + name + "\", \"text\": \"...\"} for each (an empty text trains the image unprompted), "
                        + "or move those images out of the folder");
        return texts;
    }

    private static Map<String, Object> entry(Path file, int lineNo, String line) {
        Object value;
        try {
            value = Json.parse(line);
        } catch (JsonException e) {
            throw new DatasetException(file + " line " + lineNo + " is not valid JSON (" + e.getMessage() + ")",
                    "write one JSON object per line, e.g. {\"file_name\": \"a.png\", \"text\": \"a red circle\"}", e);
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw new DatasetException(file + " line " + lineNo + " is not a JSON object",
                    "write one JSON object per line, e.g. {\"file_name\": \"a.png\", \"text\": \"a red circle\"}");
        }
        @SuppressWarnings("unchecked") Map<String, Object> entry = (Map<String, Object>) m;
        return entry;
    }

    private static String string(Path file, int lineNo, Map<String, Object> entry, String key) {
        if (entry.get(key) instanceof String s) return s;
        throw new DatasetException(file + " line " + lineNo + (entry.containsKey(key) ? " has a \"" + key + "\" that is not a string"
                : " has no \"" + key + "\""), "give each line a \"file_name\" (the image's path in the folder) and a \"text\" (its caption), both strings");
    }

    /**
     * An image's lookup key: its normalised path in Unicode NFC. macOS often names files in decomposed form (u + combining
     * diaeresis) while metadata.jsonl written by a script holds the composed one; both mean the same name to a user.
     */
    private static String key(Path p) {
        return Normalizer.normalize(p.normalize().toString(), Normalizer.Form.NFC);
    }

    private static int imageIndex(Path file, int lineNo, Path root, String name, Map<String, Integer> index) {
        Path target;
        try {
            target = root.resolve(name).normalize();
        } catch (InvalidPathException e) {
            throw new DatasetException(file + " line " + lineNo + " names " + name + ", which is not a valid path here", "give the image's path relative to " + root
                    + " (a name that is not ASCII needs a UTF-8 locale, e.g. LANG=C.UTF-8)", e);
        }
        Integer i = index.get(key(target));
        if (i != null) return i;
        String why = !target.startsWith(root) || name.isBlank() ? "which is not inside " + root
                : !Files.exists(target) ? "which does not exist"
                : "which is not one of the folder's images (hidden, or not a " + String.join("/", new java.util.TreeSet<>(FolderScan.EXTENSIONS)) + " file)";
        throw new DatasetException(file + " line " + lineNo + " names " + name + ", " + why,
                "give the image's path relative to " + root + " (as in cats/a.png), or remove the line");
    }

    private static String[] fromSidecars(FolderScan scan) {
        String[] texts = new String[scan.files().size()];
        for (int i = 0; i < texts.length; i++) {
            Path t = scan.sidecars().get(scan.files().get(i));
            if (t != null) texts[i] = readCaption(t);
        }
        requireAll(scan, texts, "have no .txt caption beside them",
                name -> "write " + stem(name) + ".txt beside it and the others (an empty file trains the image unprompted), "
                        + "or move those images out of the folder");
        return texts;
    }

    private static String readCaption(Path t) {
        try {
            if (Files.size(t) > MAX_CAPTION_BYTES) {
                throw new DatasetException("caption file " + t + " is " + Files.size(t) + " bytes, too large for a caption",
                        "keep a caption to a sentence or a few");
            }
            return clean(Files.readString(t, StandardCharsets.UTF_8));
        } catch (CharacterCodingException e) {
            throw new DatasetException("caption file " + t + " is not UTF-8 text", "save it as UTF-8", e);
        } catch (IOException e) {
            throw new DatasetException("could not read caption file " + t + ": " + e, "check the file's permissions", e);
        }
    }

    /** One error for a partly captioned folder, naming how many images lack a caption and the first of them. */
    private static void requireAll(FolderScan scan, String[] texts, String problem, java.util.function.Function<String, String> fix) {
        int missing = 0, first = -1;
        for (int i = 0; i < texts.length; i++) {
            if (texts[i] != null) continue;
            if (first < 0) first = i;
            missing++;
        }
        if (missing == 0) return;
        String name = scan.root().relativize(scan.files().get(first)).toString();
        throw new DatasetException(missing + " of the " + texts.length + " images under " + scan.root() + " " + problem + ", the first being " + name,
                fix.apply(name));
    }

    /** Trimmed, a leading byte-order mark dropped, line breaks (and the spaces around them) joined into one space. */
    static String clean(String text) {
        String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
        return t.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
