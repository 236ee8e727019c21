/**
 * Text encoders and their tokenizers: CLIP's byte-level BPE tokenizer (Hugging Face CLIPTokenizer semantics), a BPE
 * vocabulary learner in CLIP's file format, and CLIP's text transformer in Hugging Face transformers' layout
 * (config.json keys and parameter names), usable with loaded weights or small and trained from scratch. Consumers
 * (cross-attention, the trainer) see only {@link dev.diffusion4j.models.text.TextEncoder}.
 */
package dev.diffusion4j.models.text;
