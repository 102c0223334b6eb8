using System.Runtime.CompilerServices;

// The runtime's probes (the loaded-library lookup, the convolution probe) are tested directly, without a public API.
[assembly: InternalsVisibleTo("ResNeStBlocks.Tests")]
