// `convnet report`: one self-contained HTML page about a run: its recipe, final metrics, curves, filters, confusion
// matrix, per-class accuracy and sample predictions. Pictures are inlined as PNG data URIs and the style is inline:
// no script, no external file or font, so the page opens offline, from a mail attachment or an archive.
using System.Globalization;
using System.Net;
using System.Text;
using SkiaSharp;

namespace ConvNet.Visualization;

/// <summary>One titled part of the page, in page order: a table or a figure.</summary>
public abstract record ReportSection(string Title);

public sealed record ReportFigure(string Title, string Caption, byte[] Png) : ReportSection(Title);

public sealed record ReportTable(string Title, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : ReportSection(Title);

public sealed record ReportContent(string Title, string Subtitle, IReadOnlyList<ReportSection> Sections, IReadOnlyList<string> Notes)
{
    public int Tables => Sections.OfType<ReportTable>().Count();
    public int Figures => Sections.OfType<ReportFigure>().Count();
}

public static class ReportPage
{
    public static string Html(ReportContent content)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(content.Title)).Append("</title>\n<style>\n")
            .Append("body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; background: #fff; }\n")
            .Append("h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }\n")
            .Append(".subtitle { color: #555; margin-top: 0; }\n")
            .Append("table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }\n")
            .Append("th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; } td.number { text-align: right; font-variant-numeric: tabular-nums; }\n")
            .Append("th { background: #f3f3f3; } figure { margin: 1em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }\n")
            .Append("figcaption { color: #555; font-size: 0.9em; } .note { color: #555; font-size: 0.9em; }\n")
            .Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>").Append(E(content.Title)).Append("</h1>\n<p class=\"subtitle\">").Append(E(content.Subtitle)).Append("</p>\n");
        foreach (var section in content.Sections)
        {
            html.Append("<h2>").Append(E(section.Title)).Append("</h2>\n");
            if (section is ReportTable table)
            {
                html.Append("<table>\n<tr>");
                foreach (string h in table.Header) html.Append("<th>").Append(E(h)).Append("</th>");
                html.Append("</tr>\n");
                foreach (var row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (string cell in row)
                        html.Append(IsNumber(cell) ? "<td class=\"number\">" : "<td>").Append(E(cell)).Append("</td>");
                    html.Append("</tr>\n");
                }
                html.Append("</table>\n");
            }
            else if (section is ReportFigure figure)
            {
                var (width, height) = PngSize(figure.Png);
                html.Append("<figure>\n<img alt=\"").Append(E(figure.Title))
                    .Append("\" width=\"").Append(width).Append("\" height=\"").Append(height)
                    .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(figure.Png)).Append("\">\n<figcaption>")
                    .Append(E(figure.Caption)).Append("</figcaption>\n</figure>\n");
            }
        }
        foreach (string note in content.Notes) html.Append("<p class=\"note\">").Append(E(note)).Append("</p>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static bool IsNumber(string cell) =>
        cell.Length > 0 && double.TryParse(cell.TrimEnd('%', ' '), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>A bitmap as PNG bytes (for inlining).</summary>
    public static byte[] Png(SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new IOException("could not encode a figure as PNG");
        return data.ToArray();
    }

    private static (int Width, int Height) PngSize(byte[] png)
    {
        using var codec = SKCodec.Create(new MemoryStream(png)) ?? throw new ArgumentException("a report figure is not a PNG");
        return (codec.Info.Width, codec.Info.Height);
    }
}
