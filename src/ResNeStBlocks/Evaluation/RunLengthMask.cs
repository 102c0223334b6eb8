using System;
using System.Collections.Generic;
using System.Text;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// A binary mask in COCO's run-length encoding, as pycocotools' <c>maskApi.c</c> keeps it: alternating counts of 0s and
/// 1s (starting with 0s) over the pixels in column-major order (down each column, columns left to right). Every
/// operation follows <c>maskApi.c</c> step by step, so areas, boxes, strings and IoUs equal pycocotools' exactly.
/// </summary>
public sealed class RunLengthMask
{
    private readonly uint[] _counts;

    /// <summary>Creates a mask from its size and uncompressed counts (COCO's <c>{"size": [h, w], "counts": [...]}</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    public RunLengthMask(int height, int width, IReadOnlyList<uint> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (height < 0 || width < 0)
            throw new ArgumentOutOfRangeException(height < 0 ? nameof(height) : nameof(width), $"A mask's height and width must be 0 or more, got {height} x {width}.");
        Height = height;
        Width = width;
        _counts = new uint[counts.Count];
        for (int i = 0; i < _counts.Length; i++)
            _counts[i] = counts[i];
    }

    private RunLengthMask(int height, int width, uint[] counts, bool _)
    {
        Height = height;
        Width = width;
        _counts = counts;
    }

    internal static RunLengthMask Wrap(int height, int width, uint[] counts) => new(height, width, counts, false);

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>The run lengths, 0s first.</summary>
    public IReadOnlyList<uint> Counts => _readOnlyCounts ??= Array.AsReadOnly(_counts);

    private IReadOnlyList<uint>? _readOnlyCounts;

    internal uint[] RawCounts => _counts;

    /// <summary>The number of 1 pixels (<c>rleArea</c>: the sum of every second count).</summary>
    public long Area
    {
        get
        {
            uint area = 0;
            for (int j = 1; j < _counts.Length; j += 2)
                area += _counts[j];
            return area;
        }
    }

    /// <summary>Encodes a mask given as <c>mask[y, x]</c> (<c>rleEncode</c>).</summary>
    public static RunLengthMask Encode(bool[,] mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int h = mask.GetLength(0), w = mask.GetLength(1);
        var counts = new List<uint>();
        bool previous = false;
        uint run = 0;
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++)
            {
                if (mask[y, x] != previous)
                {
                    counts.Add(run);
                    run = 0;
                    previous = mask[y, x];
                }
                run++;
            }
        counts.Add(run);
        return Wrap(h, w, counts.ToArray());
    }

    /// <summary>Decodes to <c>mask[y, x]</c> (<c>rleDecode</c>).</summary>
    /// <exception cref="InvalidOperationException">The counts do not add up to height times width.</exception>
    public bool[,] Decode()
    {
        long total = 0;
        foreach (uint c in _counts)
            total += c;
        if (total != (long)Height * Width)
            throw new InvalidOperationException($"This mask's counts add up to {total} pixels, but its size {Height} x {Width} has {(long)Height * Width}; it cannot be decoded.");
        var mask = new bool[Height, Width];
        long p = 0;
        bool value = false;
        foreach (uint c in _counts)
        {
            for (uint k = 0; k < c; k++, p++)
                if (value)
                    mask[p % Height, p / Height] = true;
            value = !value;
        }
        return mask;
    }

    /// <summary>The bounding box of the 1 pixels (<c>rleToBbox</c>, including its whole-height box for a run that wraps a column).</summary>
    public CocoBox ToBox()
    {
        uint h = (uint)Height, w = (uint)Width;
        int m = _counts.Length / 2 * 2;
        if (m == 0)
            return new CocoBox(0, 0, 0, 0);
        uint xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++)
        {
            cc += _counts[j];
            uint t = cc - (uint)(j % 2), y = t % h, x = (t - y) / h;
            if (j % 2 == 0)
                xp = x;
            else if (xp < x)
            {
                ys = 0;
                ye = h - 1;
            }
            xs = Math.Min(xs, x);
            xe = Math.Max(xe, x);
            ys = Math.Min(ys, y);
            ye = Math.Max(ye, y);
        }
        return new CocoBox(xs, ys, xe - xs + 1, ye - ys + 1);
    }

    /// <summary>
    /// COCO's compressed counts string (<c>rleToString</c>): each count, less the count two before it from the fourth
    /// on, in 5-bit groups with a continuation bit, as characters 48 to 111.
    /// </summary>
    public string ToCompressedString()
    {
        var text = new StringBuilder(_counts.Length * 2);
        for (int i = 0; i < _counts.Length; i++)
        {
            long x = _counts[i];
            if (i > 2)
                x -= _counts[i - 2];
            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more)
                    c |= 0x20;
                text.Append((char)(c + 48));
            }
        }
        return text.ToString();
    }

    /// <summary>Reads COCO's compressed counts string (<c>rleFrString</c>).</summary>
    /// <exception cref="FormatException">A character lies outside 48..111 or the string ends inside a count.</exception>
    public static RunLengthMask FromCompressedString(string counts, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var result = new List<uint>(counts.Length);
        int p = 0;
        while (p < counts.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= counts.Length)
                    throw new FormatException($"The compressed RLE counts end inside a count (its last character '{counts[^1]}' asks for more).");
                int c = counts[p] - 48;
                if (c < 0 || c > 63)
                    throw new FormatException($"The compressed RLE counts hold '{counts[p]}' at {p}; only characters '0' to 'o' (48 to 111) occur.");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                    x |= -1L << (5 * k);
            }
            if (result.Count > 2)
                x += result[^2];
            result.Add(unchecked((uint)x));
        }
        return Wrap(height, width, result.ToArray());
    }

    /// <summary>The union (or, with <paramref name="intersect"/>, the intersection) of masks of one size (<c>rleMerge</c>).</summary>
    public static RunLengthMask Merge(IReadOnlyList<RunLengthMask> masks, bool intersect = false)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Count == 0)
            return Wrap(0, 0, Array.Empty<uint>());
        int h = masks[0].Height, w = masks[0].Width;
        if (masks.Count == 1)
            return Wrap(h, w, (uint[])masks[0]._counts.Clone());
        uint[] a = masks[0]._counts;
        for (int i = 1; i < masks.Count; i++)
        {
            uint[] b = masks[i]._counts;
            if (masks[i].Height != h || masks[i].Width != w)
                return Wrap(0, 0, Array.Empty<uint>());
            var merged = new List<uint>(a.Length + b.Length);
            uint ca = a[0], cb = b[0], cc = 0, ct = 1;
            bool v = false, va = false, vb = false;
            int ia = 1, ib = 1;
            while (ct > 0)
            {
                uint c = Math.Min(ca, cb);
                cc += c;
                ct = 0;
                ca -= c;
                if (ca == 0 && ia < a.Length) { ca = a[ia++]; va = !va; }
                ct += ca;
                cb -= c;
                if (cb == 0 && ib < b.Length) { cb = b[ib++]; vb = !vb; }
                ct += cb;
                bool vp = v;
                v = intersect ? va && vb : va || vb;
                if (v != vp || ct == 0)
                {
                    merged.Add(cc);
                    cc = 0;
                }
            }
            a = merged.ToArray();
        }
        return Wrap(h, w, a);
    }

    /// <summary>Rasterises one polygon <c>[x0, y0, x1, y1, ...]</c> exactly as pycocotools' <c>rleFrPoly</c>.</summary>
    public static RunLengthMask FromPolygon(IReadOnlyList<double> xy, int height, int width) => PolygonRasterizer.Rasterize(xy, height, width);

    /// <summary>The mask of a box, rasterised as its polygon (<c>rleFrBbox</c>).</summary>
    public static RunLengthMask FromBox(CocoBox box, int height, int width)
    {
        double xs = box.X, xe = xs + box.Width, ys = box.Y, ye = ys + box.Height;
        return PolygonRasterizer.Rasterize(new[] { xs, ys, xs, ye, xe, ye, xe, ys }, height, width);
    }
}
