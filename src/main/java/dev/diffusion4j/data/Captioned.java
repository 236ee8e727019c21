package dev.diffusion4j.data;

/** The check that data fit for text-to-image training has a caption for every image, with how to add them when not. */
public final class Captioned {
    private Captioned() {}

    /** Refuses {@code data} unless every image has a caption; {@code who} names what needs them (e.g. "--text-encoder"). */
    public static void require(ImageDataset data, String who) {
        for (int i = 0; i < data.size(); i++) {
            if (data.caption(i) != null) continue;
            throw new DatasetException(who + " trains on captions, but " + (i == 0 ? "the data has none" : "image " + i + " of the data has none")
                    + " (" + data.describe() + ")",
                    "caption an image folder with a NAME.txt beside each image or a metadata.jsonl at its root, one "
                            + "{\"file_name\": \"a.png\", \"text\": \"...\"} per line (see docs/text-to-image.md), or train on the built-in shapes");
        }
    }
}
