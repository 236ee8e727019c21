/**
 * Datasets, loading and image files, on plain {@code float[]} arrays so this package needs
 * nothing from the engine.
 *
 * <ul>
 *   <li>{@link dev.diffusion4j.data.ImageDataset}: random access to images as CHW floats in [-1, 1].
 *       Readers: {@link dev.diffusion4j.data.IdxDataset} (MNIST-style, plain or gzip),
 *       {@link dev.diffusion4j.data.Cifar10Dataset} (binary batches),
 *       {@link dev.diffusion4j.data.ImageFolderDataset} (PNG/JPEG/BMP/GIF/WebP/TIFF, sub-folder labels),
 *       {@link dev.diffusion4j.data.ShapesDataset} (generated, no download);
 *       {@link dev.diffusion4j.data.Datasets#open} picks one from a user's spec.</li>
 *   <li>{@link dev.diffusion4j.data.DataLoader}: seeded, resumable batches on a background thread.</li>
 *   <li>{@link dev.diffusion4j.data.Pngs}: sample grids, strips and single images, written atomically.</li>
 * </ul>
 *
 * <p>Memory: IDX and CIFAR-10 hold their pixels as bytes (Fashion-MNIST train 47 MB, CIFAR-10
 * train 154 MB); image folders cache decoded bytes only within a budget (see
 * {@link dev.diffusion4j.data.ImageFolderDataset}); generated shapes hold nothing.
 *
 * <p>Errors a user can cause are {@link dev.diffusion4j.data.DatasetException}s whose message
 * names the problem and the fix. Inputs are distrusted: images are decoded strictly (a cut-off or
 * patched-up file is refused) and only within {@link dev.diffusion4j.data.ImageLimits}; sizes that
 * IDX and CIFAR files declare are computed exactly and checked against the file and the heap
 * before anything is allocated.
 */
package dev.diffusion4j.data;
