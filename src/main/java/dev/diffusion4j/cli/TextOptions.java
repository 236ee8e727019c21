package dev.diffusion4j.cli;

import dev.diffusion4j.data.Captioned;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.models.ModelConfig;
import dev.diffusion4j.models.UNetConfig;
import dev.diffusion4j.models.text.BpeLearner;
import dev.diffusion4j.models.text.ClipTextConfig;
import dev.diffusion4j.models.text.ClipTokenizer;
import dev.diffusion4j.train.RunDir;
import dev.diffusion4j.train.TextConditioning;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code diffuse train}'s text-to-image options: a text encoder trained from scratch with the U-Net on the data's captions. */
public final class TextOptions {
    /** Captions read to learn a vocabulary when no --vocab is given: enough for the words of a captioned dataset. */
    static final int VOCAB_CAPTIONS = 20_000, LEARNED_VOCAB_SIZE = 1024;

    @Option(names = "--text-encoder", paramLabel = "PRESET",
            description = "Train text-to-image: a CLIP-like text encoder (text-tiny or text-small), trained from scratch with the U-Net or DiT, "
                    + "whose hidden states the model cross-attends to. Needs captioned data (the built-in shapes; image folders with captions).")
    String encoder;

    @Option(names = "--vocab", paramLabel = "DIR",
            description = "With --text-encoder: a folder with vocab.json and merges.txt (e.g. data/captions/emoji-bpe-2048). "
                    + "Default: a " + LEARNED_VOCAB_SIZE + "-token BPE vocabulary learned from the data's captions at start.")
    Path vocab;

    @Option(names = "--caption-dropout", paramLabel = "P", defaultValue = "0.1",
            description = "With --text-encoder: probability of training on the empty prompt (what classifier-free guidance steers away from). Default: ${DEFAULT-VALUE}.")
    double captionDropout;

    @Option(names = "--sd-unet",
            description = "With --text-encoder and a U-Net: Stable Diffusion's attention layout, where each attention level holds only a "
                    + "spatial transformer (self-attention, cross-attention, feed-forward) and no separate self-attention block before it. "
                    + "Such a run exports as a diffusers UNet2DConditionModel (a latent one as a StableDiffusionPipeline): diffuse export.")
    boolean sdUnet;

    boolean enabled() { return encoder != null; }

    void validate(OptionChecks c, ModelConfig preset, Boolean classConditional, TrainEvalOptions eval) {
        if (!enabled()) {
            c.require(vocab == null, "--vocab needs --text-encoder");
            c.require(!sdUnet, "--sd-unet needs --text-encoder");
            c.absent("--caption-dropout", "--caption-dropout needs --text-encoder");
            return;
        }
        c.oneOf("--text-encoder", encoder, ClipTextConfig.PRESETS)
         .require(!Boolean.TRUE.equals(classConditional), "--text-encoder conditions on captions; drop --class-conditional")
         .require(eval.every == 0, "--eval-every measures unprompted samples; it does not apply to --text-encoder runs yet")
         .fraction("--caption-dropout", captionDropout)
         .require(!sdUnet || preset instanceof UNetConfig, "--sd-unet lays out a U-Net's attention; this run's model is a " + preset.arch());
        if (vocab != null)
            c.require(Files.isRegularFile(vocab.resolve("vocab.json")) && Files.isRegularFile(vocab.resolve("merges.txt")),
                    "--vocab " + vocab + " must hold vocab.json and merges.txt");
    }

    /** The U-Net or DiT with cross-attention as wide as the encoder's hidden states. */
    ModelConfig model(ModelConfig m, ImageDataset data) {
        if (!enabled()) return m;
        checkCaptions(data);
        ModelConfig text = m.withContextDim(ClipTextConfig.preset(encoder, tokenizer(data)).hiddenSize());
        return sdUnet && text instanceof UNetConfig u ? u.withTransformerOnly(true) : text;
    }

    /** With --text-encoder, refuses data without captions (also called on a latent run's pixels, before encoding them). */
    void checkCaptions(ImageDataset data) {
        if (enabled()) Captioned.require(data, "--text-encoder");
    }

    private BpeLearner.Vocabulary learned;   // learned once, at start, from the data's captions

    private ClipTokenizer tokenizer(ImageDataset data) {
        try {
            if (vocab != null) return ClipTokenizer.load(vocab);
            return learned(data).tokenizer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the vocabulary in " + vocab + ": " + e.getMessage(), e);
        }
    }

    private BpeLearner.Vocabulary learned(ImageDataset data) {
        if (learned != null) return learned;
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < Math.min(data.size(), VOCAB_CAPTIONS); i++) captions.add(data.caption(i));
        return learned = BpeLearner.learn(captions, LEARNED_VOCAB_SIZE, 2, null);
    }

    /** Records the text encoder and its vocabulary in a new run's folder. */
    void record(RunDir run, ImageDataset data) {
        if (!enabled()) return;
        try {
            Path dir = vocab;
            if (dir == null) {
                dir = Files.createTempDirectory("diffuse-vocab");
                learned(data).write(dir);
            }
            TextConditioning.create(run, new TextConditioning.Spec(encoder, captionDropout, TextConditioning.DEFAULT_MAX_LENGTH), dir);
            if (vocab == null) {
                for (String f : List.of("vocab.json", "merges.txt")) Files.deleteIfExists(dir.resolve(f));
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the text encoder in " + run.root() + ": " + e.getMessage(), e);
        }
    }
}
