using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// pycocotools' <c>rleFrPoly</c>: the polygon is upsampled by 5, its edges walked densely on that grid, the crossings of
/// the pixel-centre columns kept and rounded down to pixel rows, and the sorted column-major positions turned into runs.
/// The integer truncations (<c>(int)(v + .5)</c>) and the unsigned wrap of the C code are kept, so the pixels equal
/// pycocotools' bit for bit (they differ from an exact scanline fill along the edges).
/// </summary>
internal static class PolygonRasterizer
{
    private const double Scale = 5;

    public static RunLengthMask Rasterize(IReadOnlyList<double> xy, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(xy);
        int k = xy.Count / 2;
        uint h = (uint)height, w = (uint)width;
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (int j = 0; j < k; j++)
        {
            x[j] = (int)(Scale * xy[j * 2] + .5);
            y[j] = (int)(Scale * xy[j * 2 + 1] + .5);
        }
        x[k] = x[0];
        y[k] = y[0];
        long m = 0;
        for (int j = 0; j < k; j++)
            m += Math.Max(Math.Abs(x[j] - x[j + 1]), Math.Abs(y[j] - y[j + 1])) + 1;
        var u = new int[m];
        var v = new int[m];
        m = 0;
        for (int j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }
            double s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int)(ys + s * t + .5);
                    m++;
                }
            else
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int)(xs + s * t + .5);
                    m++;
                }
        }
        // Points where the boundary crosses a pixel column, back on the pixel grid.
        var positions = new List<uint>();
        for (long j = 1; j < m; j++)
        {
            if (u[j] == u[j - 1])
                continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / Scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > unchecked((ulong)width - 1))
                continue;
            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = (yd + .5) / Scale - .5;
            if (yd < 0)
                yd = 0;
            else if (yd > h)
                yd = h;
            yd = Math.Ceiling(yd);
            positions.Add(unchecked((uint)((int)xd * (int)h + (int)yd)));
        }
        positions.Add(unchecked(h * w));
        positions.Sort();
        var a = positions.ToArray();
        uint previous = 0;
        for (int j = 0; j < a.Length; j++)
        {
            uint t = a[j];
            a[j] -= previous;
            previous = t;
        }
        var b = new List<uint>(a.Length) { a[0] };
        for (int j = 1; j < a.Length;)
        {
            if (a[j] > 0)
                b.Add(a[j++]);
            else
            {
                j++;
                if (j < a.Length)
                    b[^1] += a[j++];
            }
        }
        return RunLengthMask.Wrap(height, width, b.ToArray());
    }
}
