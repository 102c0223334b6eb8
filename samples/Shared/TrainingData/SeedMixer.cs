namespace ResNeStBlocks.Samples.Data;

/// <summary>Seeds derived from a run's seed, the same in every process and on every thread.</summary>
public static class SeedMixer
{
    /// <summary>A seed for (run seed, epoch, position): the SplitMix64 finaliser over the three, as a non-negative int.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="position">The example's position in the epoch (-1 for the epoch's order itself).</param>
    /// <returns>A seed for <see cref="System.Random"/>.</returns>
    public static int Mix(int seed, int epoch, int position)
    {
        ulong x = unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL) ^ ((ulong)(uint)position * 0x94D049BB133111EBUL));
        x ^= x >> 31;
        x = unchecked(x * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 27;
        x = unchecked(x * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
