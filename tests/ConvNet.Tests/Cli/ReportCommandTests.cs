// Issue 12 item 8: `convnet report` writes one self-contained HTML page (every picture inlined as a PNG that decodes,
// no external script, style, font or link), and Debian's chromium, headless, renders it with no console errors into
// a screenshot that is not blank. A page with a script error is caught by the same check, so the check can fail.
using System.Diagnostics;
using System.Text.RegularExpressions;
using ConvNet.Tests.Support;
using SkiaSharp;
using Xunit.Abstractions;

namespace ConvNet.Tests.Cli;

public sealed partial class ReportCommandTests(TinyRunFixture run, ITestOutputHelper output) : IClassFixture<TinyRunFixture>
{
    private const string Chromium = "/usr/bin/chromium";

    [GeneratedRegex("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex InlinePng();

    private string Report()
    {
        string html = Path.Combine(run.Folder, "report.html");
        var result = CliRunner.Run("report", run.Run, "--threads", "1", "--out", html, "--force");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return html;
    }

    [Fact]
    public void ReportIsSelfContainedWithEverySection()
    {
        string text = File.ReadAllText(Report());
        foreach (string section in new[] { "Recipe", "Training history", "Training curves", "Learned filters of conv1", "Evaluation on", "Per-class accuracy", "Confusion matrix", "Sample predictions" })
            Assert.Contains($"<h2>{section}", text);
        Assert.DoesNotContain("http://", text);
        Assert.DoesNotContain("https://", text);
        Assert.DoesNotContain("<script", text);
        Assert.DoesNotContain("<link", text);
        Assert.DoesNotContain("url(", text);
        var images = InlinePng().Matches(text);
        Assert.Equal(4, images.Count); // curves, filters, confusion, predictions
        Assert.Equal(Regex.Matches(text, "<img ").Count, images.Count);
        foreach (Match m in images)
        {
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(m.Groups[1].Value));
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 100 && bitmap.Height > 50);
        }
        // The per-class table: one row per class of the tiny data (its classes are named 0..3).
        var perClass = text[text.IndexOf("<h2>Per-class accuracy")..];
        perClass = perClass[..perClass.IndexOf("</table>")];
        Assert.Equal(1 + 4, Regex.Matches(perClass, "<tr>").Count);
    }

    [Fact]
    public void TheHistoryTableIsTheWholeRunsAsTheCurvesAreWhicheverCheckpointIsShown()
    {
        // Reported from epoch 1's checkpoint (previous.json after 2 epochs), the table showed 1 epoch beside curves of 2.
        using var temp = new TempDirectory();
        string runFolder = temp.Combine("run"), html = temp.Combine("report.html");
        var trained = CliRunner.Run("train", "--data", run.Data, "--epochs", "2", "--batch-size", "32", "--validation", "32", "--threads", "1", "--out", runFolder);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var result = CliRunner.Run("report", Path.Combine(runFolder, "previous.json"), "--threads", "1", "--out", html);
        Assert.True(result.ExitCode == 0, result.Stderr);
        string text = File.ReadAllText(html);
        var history = text[text.IndexOf("<h2>Training history")..];
        history = history[..history.IndexOf("</table>")];
        Assert.Equal(1 + 2, Regex.Matches(history, "<tr>").Count);
        Assert.Contains("was saved after 1 of the run", text);
    }

    private static (string ConsoleLines, SKBitmap Screenshot) RenderInChromium(string html, string folder)
    {
        string screenshot = Path.Combine(folder, Path.GetFileNameWithoutExtension(html) + "-screenshot.png");
        var info = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={Path.Combine(folder, "chromium-profile")}", $"--screenshot={screenshot}", "--window-size=1200,1600",
                     new Uri(html).AbsoluteUri })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish in 90 s");
        }
        string console = string.Join("\n", stderr.Result.Split('\n').Where(l => l.Contains(":CONSOLE")));
        Assert.True(File.Exists(screenshot), $"chromium wrote no screenshot: {stderr.Result}");
        return (console, SKBitmap.Decode(screenshot));
    }

    [Fact]
    public void ChromiumRendersTheReportWithoutConsoleErrors()
    {
        if (!File.Exists(Chromium))
        {
            output.WriteLine($"skipped: {Chromium} is missing; install Debian's chromium package (.ci/run does) to run the browser test");
            return;
        }
        string html = Report();
        var (console, screenshot) = RenderInChromium(html, run.Folder);
        using (screenshot)
        {
            Assert.True(console.Length == 0, "console output: " + console);
            // Not blank: the page's text, tables and pictures make many distinct colours and plenty of non-white pixels.
            var colours = new HashSet<SKColor>();
            int inked = 0;
            for (int y = 0; y < screenshot.Height; y += 2)
                for (int x = 0; x < screenshot.Width; x += 2)
                {
                    var c = screenshot.GetPixel(x, y);
                    colours.Add(c);
                    if (c.Red < 200 || c.Green < 200 || c.Blue < 200) inked++;
                }
            Assert.True(colours.Count > 50, $"{colours.Count} colours");
            Assert.True(inked > 2000, $"{inked} inked pixels");
        }

        // The same check sees a broken page's errors.
        string broken = Path.Combine(run.Folder, "broken.html");
        File.WriteAllText(broken, "<!DOCTYPE html><html><body><p>x</p><script>console.error('deliberate'); notDefined();</script></body></html>");
        var (brokenConsole, brokenShot) = RenderInChromium(broken, run.Folder);
        brokenShot.Dispose();
        Assert.Contains("deliberate", brokenConsole);
        Assert.Contains("notDefined", brokenConsole);
    }
    private static IReadOnlyList<string> RecipeSettings(string html)
    {
        string text = File.ReadAllText(html);
        var recipe = text[text.IndexOf("<h2>Recipe")..];
        recipe = recipe[..recipe.IndexOf("</table>")];
        return Regex.Matches(recipe, "<tr><td>([A-Za-z]+)</td>").Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>The recipe of an alexnet-small run on in-memory data showed randomCrop true, mirror true, pcaNoise 0.1
    /// and biasInit 1, none of which applied (image-data augmentation, the paper net's biases), and the plateau and
    /// step settings of its cosine schedule.</summary>
    [Fact]
    public void TheRecipeOfAnInMemoryRunShowsOnlyWhatApplied()
    {
        var settings = RecipeSettings(Report());
        foreach (string shown in new[] { "model", "data", "schedule", "cropPadding", "horizontalFlip", "randomErase", "normalization", "labelSmoothing" })
            Assert.Contains(shown, settings);
        foreach (string hidden in new[] { "randomCrop", "mirror", "pcaNoise", "loaderThreads", "prefetch", "biasInit", "gamma", "patience", "stepSize" })
            Assert.DoesNotContain(hidden, settings);
    }

    /// <summary>On image data, the reverse: the paper's augmentation, not the in-memory options or --normalization (the
    /// run subtracts its mean image).</summary>
    [Fact]
    public void TheRecipeOfAnImageRunShowsOnlyWhatApplied()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(photos, perClass: 6, seed: 5);
        string image = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + photos, "--epochs", "1", "--batch-size", "4",
            "--validation", "4", "--schedule", "step", "--threads", "1", "--max-steps", "1", "--out", image);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string html = temp.Combine("report.html");
        var report = CliRunner.Run("report", image, "--threads", "1", "--samples", "0", "--out", html);
        Assert.True(report.ExitCode == 0, report.Stderr);
        var settings = RecipeSettings(html);
        foreach (string shown in new[] { "randomCrop", "mirror", "pcaNoise", "loaderThreads", "prefetch", "stepSize", "gamma", "validationCount" })
            Assert.Contains(shown, settings);
        foreach (string hidden in new[] { "cropPadding", "horizontalFlip", "randomErase", "normalization", "biasInit", "patience" })
            Assert.DoesNotContain(hidden, settings);
    }

    /// <summary>A run on a folder with train/ and val/ held nothing out, yet its recipe showed validationCount 5000.</summary>
    [Fact]
    public void TheRecipeOfARunWithItsOwnValidationSplitLeavesOutValidationCount()
    {
        using var temp = new TempDirectory();
        string photos = temp.Combine("photos");
        SyntheticImages.WriteFolder(Path.Combine(photos, "train"), perClass: 4, seed: 5);
        SyntheticImages.WriteFolder(Path.Combine(photos, "val"), perClass: 2, seed: 6);
        string image = temp.Combine("run");
        var train = CliRunner.Run("train", "--model", "alexnet-micro", "--data", "folder:" + photos, "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--max-steps", "1", "--out", image);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string html = temp.Combine("report.html");
        var report = CliRunner.Run("report", image, "--threads", "1", "--samples", "0", "--out", html);
        Assert.True(report.ExitCode == 0, report.Stderr);
        var settings = RecipeSettings(html);
        Assert.Contains("data", settings);
        Assert.DoesNotContain("validationCount", settings);
    }

    [Fact]
    public void AReportOnARunWhoseDataMovedSaysToNameItWithData()
    {
        using var temp = new TempDirectory();
        string copy = temp.Combine("run");
        FolderCopy.Copy(run.Run, copy);
        foreach (string sidecar in new[] { "best.json", "last.json" }.Select(n => Path.Combine(copy, n)).Where(File.Exists))
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!;
            json["config"]!["data"] = "idx:" + temp.Combine("gone");
            File.WriteAllText(sidecar, json.ToJsonString());
        }
        string html = temp.Combine("report.html");
        var moved = CliRunner.Run("report", copy, "--threads", "1", "--out", html);
        Assert.Equal(2, moved.ExitCode);
        Assert.Contains("recorded this data, so it has moved or was deleted: say where it is now with --data", moved.Stderr);
        var told = CliRunner.Run("report", copy, "--threads", "1", "--out", html, "--data", run.Data);
        Assert.True(told.ExitCode == 0, told.Stderr);
    }
}
