package dev.diffusion4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code diffuse edit}: edit existing images with a trained run - image-to-image, inpainting, DDIM inversion. */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Edit images with a trained model (its EMA weights): img2img (SDEdit), inpaint (replacement or RePaint) and invert "
                + "(DDIM inversion and reconstruction). Inputs must have the model's size and channels (or pass --resize).",
        subcommands = {EditImg2ImgCommand.class, EditInpaintCommand.class, EditInvertCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  ${sys:diffuse.command:-diffuse} edit img2img --run runs/shapes --strength 0.5 sketch.png",
                "  ${sys:diffuse.command:-diffuse} edit inpaint --run runs/shapes --mask hole.png picture.png",
                "  ${sys:diffuse.command:-diffuse} edit invert --run runs/shapes picture.png"})
public final class EditCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
}
