package dev.diffusion4j.cli;

/** Entry point of the {@code diffuse} command. */
public final class Main {
    public static void main(String[] args) {
        System.out.println("diffuse: under construction");
    }
}
