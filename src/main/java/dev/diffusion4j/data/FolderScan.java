package dev.diffusion4j.data;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds image files under a root (recursively, following links, skipping hidden entries) and
 * assigns classes: if every image lies in some sub-folder, the immediate sub-folders that hold
 * images are the classes in sorted name order; images directly in the root make it unlabeled.
 * Classes are fixed from file names before decoding, so a corrupt file never shifts them.
 * Caption files are noted, not counted as other files: the root's {@code metadata.jsonl} and each
 * {@code NAME.txt} lying beside an image {@code NAME.EXT} (see {@link FolderCaptions}).
 */
record FolderScan(Path root, List<Path> files, int[] classOf, List<String> classNames,
                  int otherFiles, List<String> otherExamples, boolean mixedLayout,
                  Path metadata, Map<Path, Path> sidecars) {

    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff");

    static FolderScan scan(Path root) {
        if (!Files.exists(root)) {
            throw new DatasetException("dataset path " + root + " does not exist",
                    "check the path, or use 'shapes' for the built-in generated dataset");
        }
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root + " is a file, not a folder of images",
                    "give the folder that holds the images");
        }
        List<Path> images = new ArrayList<>();
        List<Path> texts = new ArrayList<>();
        Path[] metadata = {null};
        List<String> others = new ArrayList<>();
        int[] otherCount = {0};
        List<String> hiddenNames = new ArrayList<>();   // only for the message of a folder with nothing else
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                            if (dir.equals(root) || !hidden(dir)) return FileVisitResult.CONTINUE;
                            if (hiddenNames.size() < 3) hiddenNames.add(root.relativize(dir) + "/");
                            return FileVisitResult.SKIP_SUBTREE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                            if (!a.isRegularFile()) return FileVisitResult.CONTINUE;
                            if (hidden(file)) {
                                if (hiddenNames.size() < 3) hiddenNames.add(root.relativize(file).toString());
                                return FileVisitResult.CONTINUE;
                            }
                            if (isImageName(file)) {
                                images.add(file);
                            } else if (file.equals(root.resolve(FolderCaptions.METADATA))) {
                                metadata[0] = file;
                            } else if (extension(file).equals("txt")) {
                                texts.add(file);   // a caption if an image of the same name lies beside it
                            } else {
                                otherCount[0]++;
                                if (others.size() < 3) others.add(root.relativize(file).toString());
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            return FileVisitResult.CONTINUE; // unreadable entries and link loops are skipped
                        }
                    });
        } catch (IOException e) {
            throw new DatasetException("could not list " + root + ": " + e, "check the folder's permissions", e);
        }
        if (images.isEmpty()) {
            String found = otherCount[0] > 0 ? "found " + otherCount[0] + " other files, e.g. " + String.join(", ", others)
                    : hiddenNames.isEmpty() ? "the folder is empty"
                    : "found only hidden entries (names starting with '.', which are left out), e.g. " + String.join(", ", hiddenNames);
            throw new DatasetException("no image files (" + String.join("/", new java.util.TreeSet<>(EXTENSIONS))
                    + ") under " + root + ": " + found,
                    "point at the folder that holds the images, or use an IDX/CIFAR folder or 'shapes'");
        }
        images.sort(null);
        Map<Path, Path> sidecars = sidecars(images, texts);
        Set<Path> captions = new HashSet<>(sidecars.values());
        for (Path t : texts) {
            if (captions.contains(t)) continue;
            otherCount[0]++;
            if (others.size() < 3) others.add(root.relativize(t).toString());
        }
        return assignClasses(root, images, otherCount[0], others, metadata[0], sidecars);
    }

    /** Image -> the .txt of the same name in the same folder, for the images that have one. */
    private static Map<Path, Path> sidecars(List<Path> images, List<Path> texts) {
        Map<Stem, Path> byStem = new HashMap<>();
        for (Path t : texts) byStem.put(Stem.of(t), t);
        Map<Path, Path> out = new HashMap<>();
        for (Path img : images) {
            Path t = byStem.get(Stem.of(img));
            if (t != null) out.put(img, t);
        }
        return Map.copyOf(out);
    }

    /** A file's folder and name without its extension. Kept as a string, never turned back into a path: under a C locale a non-ASCII name cannot be. */
    private record Stem(Path dir, String name) {
        static Stem of(Path p) {
            String n = p.getFileName().toString();
            return new Stem(p.getParent(), n.substring(0, n.lastIndexOf('.')));
        }
    }

    private static FolderScan assignClasses(Path root, List<Path> images, int other, List<String> examples,
                                            Path metadata, Map<Path, Path> sidecars) {
        boolean direct = images.stream().anyMatch(p -> p.getParent().equals(root));
        TreeMap<String, Integer> classes = new TreeMap<>();
        if (!direct) {
            for (Path p : images) classes.put(root.relativize(p).getName(0).toString(), 0);
            int k = 0;
            for (var e : classes.entrySet()) e.setValue(k++);
        }
        int[] classOf = new int[images.size()];
        for (int i = 0; i < classOf.length; i++) {
            classOf[i] = direct ? -1 : classes.get(root.relativize(images.get(i)).getName(0).toString());
        }
        boolean mixed = direct && images.stream().anyMatch(p -> !p.getParent().equals(root));
        return new FolderScan(root, images, classOf, List.copyOf(classes.keySet()), other, examples, mixed, metadata, sidecars);
    }

    static boolean isImageName(Path p) {
        return EXTENSIONS.contains(extension(p));
    }

    /** The lower-case extension, or "" when the name has none (".hidden" and "README" have none). */
    private static String extension(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }
}
