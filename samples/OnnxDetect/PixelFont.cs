using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Samples.OnnxDetect;

/// <summary>
/// A 5 x 7 pixel font of capitals, digits and the punctuation of class names and scores, so that labels are drawn
/// without a font file or a graphics library (letters are drawn as capitals; other characters as '?').
/// </summary>
public static class PixelFont
{
    /// <summary>Glyph width in pixels (before scaling).</summary>
    public const int Width = 5;

    /// <summary>Glyph height in pixels (before scaling).</summary>
    public const int Height = 7;

    /// <summary>The space between two glyphs.</summary>
    public const int Spacing = 1;

    // Seven rows of five pixels per glyph, '#' lit.
    private static readonly Dictionary<char, string> Rows = new()
    {
        ['A'] = ".###. #...# #...# ##### #...# #...# #...#",
        ['B'] = "####. #...# #...# ####. #...# #...# ####.",
        ['C'] = ".###. #...# #.... #.... #.... #...# .###.",
        ['D'] = "####. #...# #...# #...# #...# #...# ####.",
        ['E'] = "##### #.... #.... ####. #.... #.... #####",
        ['F'] = "##### #.... #.... ####. #.... #.... #....",
        ['G'] = ".###. #...# #.... #.### #...# #...# .####",
        ['H'] = "#...# #...# #...# ##### #...# #...# #...#",
        ['I'] = ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['J'] = "..### ...#. ...#. ...#. ...#. #..#. .##..",
        ['K'] = "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
        ['L'] = "#.... #.... #.... #.... #.... #.... #####",
        ['M'] = "#...# ##.## #.#.# #.#.# #...# #...# #...#",
        ['N'] = "#...# #...# ##..# #.#.# #..## #...# #...#",
        ['O'] = ".###. #...# #...# #...# #...# #...# .###.",
        ['P'] = "####. #...# #...# ####. #.... #.... #....",
        ['Q'] = ".###. #...# #...# #...# #.#.# #..#. .##.#",
        ['R'] = "####. #...# #...# ####. #.#.. #..#. #...#",
        ['S'] = ".#### #.... #.... .###. ....# ....# ####.",
        ['T'] = "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        ['U'] = "#...# #...# #...# #...# #...# #...# .###.",
        ['V'] = "#...# #...# #...# #...# #...# .#.#. ..#..",
        ['W'] = "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
        ['X'] = "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
        ['Y'] = "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
        ['Z'] = "##### ....# ...#. ..#.. .#... #.... #####",
        ['0'] = ".###. #...# #..## #.#.# ##..# #...# .###.",
        ['1'] = "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        ['2'] = ".###. #...# ....# ...#. ..#.. .#... #####",
        ['3'] = "##### ...#. ..#.. ...#. ....# #...# .###.",
        ['4'] = "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        ['5'] = "##### #.... ####. ....# ....# #...# .###.",
        ['6'] = "..##. .#... #.... ####. #...# #...# .###.",
        ['7'] = "##### ....# ...#. ..#.. .#... .#... .#...",
        ['8'] = ".###. #...# #...# .###. #...# #...# .###.",
        ['9'] = ".###. #...# #...# .#### ....# ...#. .##..",
        [' '] = "..... ..... ..... ..... ..... ..... .....",
        ['.'] = "..... ..... ..... ..... ..... .##.. .##..",
        [','] = "..... ..... ..... ..... .##.. ..#.. .#...",
        [':'] = "..... .##.. .##.. ..... .##.. .##.. .....",
        ['-'] = "..... ..... ..... ##### ..... ..... .....",
        ['_'] = "..... ..... ..... ..... ..... ..... #####",
        ['+'] = "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
        ['/'] = "..... ....# ...#. ..#.. .#... #.... .....",
        ['('] = "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        [')'] = ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        ['\''] = "..#.. ..#.. .#... ..... ..... ..... .....",
        ['&'] = ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
        ['?'] = ".###. #...# ....# ...#. ..#.. ..... ..#..",
    };

    private static readonly Dictionary<char, bool[,]> Glyphs = Rows.ToDictionary(entry => entry.Key, entry => Glyph(entry.Value));

    /// <summary>The width of <paramref name="text"/> drawn at <paramref name="scale"/>, in pixels.</summary>
    /// <param name="text">The text.</param>
    /// <param name="scale">Pixels per font pixel.</param>
    /// <returns>The width (0 for empty text).</returns>
    public static int TextWidth(string text, int scale) =>
        text.Length == 0 ? 0 : (text.Length * (Width + Spacing) - Spacing) * scale;

    /// <summary>Whether the font pixel (<paramref name="row"/>, <paramref name="column"/>) of <paramref name="character"/>'s glyph is lit.</summary>
    /// <param name="character">Any character; letters are drawn as capitals, unknown ones as '?'.</param>
    /// <param name="row">0 to <see cref="Height"/> - 1.</param>
    /// <param name="column">0 to <see cref="Width"/> - 1.</param>
    /// <returns>True when lit.</returns>
    public static bool IsLit(char character, int row, int column) =>
        (Glyphs.TryGetValue(char.ToUpperInvariant(character), out var glyph) ? glyph : Glyphs['?'])[row, column];

    private static bool[,] Glyph(string rows)
    {
        var lines = rows.Split(' ');
        var glyph = new bool[Height, Width];
        for (int row = 0; row < Height; row++)
            for (int column = 0; column < Width; column++)
                glyph[row, column] = lines[row][column] == '#';
        return glyph;
    }
}
