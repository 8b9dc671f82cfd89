// The page at / in a real browser: headless Debian chromium driven by Playwright (its own browser downloads are never
// used). Picking an image must draw the top classes as bars and the layer walk's tiles and vectors, with no console
// error. Set CONVNET_SCREENSHOT=FILE.png to keep a screenshot of the result (docs/serve.md's was taken so). A long class
// name stays in its column; a PNG whose file name is not an image's is still classified; a refused file is named.
using Microsoft.Playwright;

namespace ConvNet.Tests.Serving;

public sealed class BrowserTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    [ChromiumFact]
    public async Task PickingAnImageShowsTopClassesAndLayerTilesWithoutConsoleErrors()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Path, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        page.RequestFailed += (_, request) => errors.Add($"{request.Url}: {request.Failure}");

        await page.GotoAsync(fixture.Server.Address.ToString());
        await page.WaitForSelectorAsync("#filters[src]");
        Assert.Equal("alexnet-micro", await page.InnerTextAsync("#model-name"));
        await page.SetInputFilesAsync("#file", fixture.Images[1]);

        await page.WaitForSelectorAsync("#walk .layer", new() { Timeout = 30_000 });
        var bars = await page.QuerySelectorAllAsync("#top li .bar");
        Assert.Equal(4, bars.Count); // min(5, the model's 4 classes)
        Assert.Equal("Top 4", await page.InnerTextAsync("#top-heading")); // it said "Top 5" over 4 bars (pass 47)
        var names = await page.Locator("#top li .bar-row > span:first-child").AllInnerTextsAsync();
        Assert.Equal(names.Order(), new[] { "checks", "disc", "hstripes", "vstripes" });
        Assert.Equal(9, await page.Locator("#walk img.tiles").CountAsync());    // conv1..5, norms, pools
        Assert.Equal(3, await page.Locator("#walk .vector").CountAsync());      // fc6, fc7, fc8
        bool tilesDecoded = await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#walk img.tiles')].every(i => i.complete && i.naturalWidth > 0)");
        Assert.True(tilesDecoded, "a layer's tiles did not decode as an image");
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('filters').naturalWidth > 0"), "conv1's filters did not load");
        Assert.DoesNotContain("error", await page.GetAttributeAsync("#status", "class") ?? "");

        if (Environment.GetEnvironmentVariable("CONVNET_SCREENSHOT") is { Length: > 0 } screenshot)
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
    private static async Task<IPage> OpenPage(IBrowser browser, string address)
    {
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        await page.GotoAsync(address);
        await page.WaitForSelectorAsync("#filters[src]");
        return page;
    }

    // The status line once the page has an answer (it says "Classifying NAME ..." until then).
    private static async Task<string> FinalStatus(IPage page)
    {
        await page.WaitForFunctionAsync("() => { const t = document.getElementById('status').textContent; return t && !t.startsWith('Classifying'); }",
            null, new() { Timeout = 30_000 });
        return await page.InnerTextAsync("#status");
    }

    /// <summary>A 200-character class name spilled over its bar and percentage and widened the page to 2280 pixels in a
    /// 1200-pixel window: it is cut with an ellipsis now, the whole name in the row's title.</summary>
    [ChromiumFact]
    public async Task ALongClassNameIsCutToItsColumnAndKeptWholeInItsTitle()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Path, Args = ["--no-sandbox"] });
        var page = await OpenPage(browser, fixture.Server.Address.ToString());
        string longName = new('x', 200);
        // The page's own drawing of an answer, with the names a folder dataset can have.
        await page.EvaluateAsync("name => drawTop([{ name, probability: 0.6 }, { name: 'plain', probability: 0.4 }])", longName);

        var layout = await page.EvaluateAsync<double[]>(@"() => {
            const row = document.querySelector('#top li .bar-row');
            const [name, bar, value] = row.children;
            return [name.getBoundingClientRect().right, bar.getBoundingClientRect().left, bar.getBoundingClientRect().right,
                    value.getBoundingClientRect().left, document.documentElement.scrollWidth, window.innerWidth];
        }");
        Assert.True(layout[0] <= layout[1], $"the name ends at {layout[0]}, over its bar from {layout[1]}");
        Assert.True(layout[2] <= layout[3], $"the bar ends at {layout[2]}, over the percentage from {layout[3]}");
        Assert.True(layout[4] <= layout[5], $"the page is {layout[4]} pixels wide in a {layout[5]}-pixel window");
        Assert.Equal(longName, await page.GetAttributeAsync("#top li .bar-row > span.name", "title"));
        Assert.Equal(longName, await page.EvaluateAsync<string>("() => document.querySelector('#top li .bar-row > span.name').textContent"));
    }

    /// <summary>An imported graph's layer names (pass 47): a right-to-left override in one reversed the kind and shape
    /// drawn after it ("23 raeniL 6cf"), and a 300-character one made the page 3008 pixels wide.</summary>
    [ChromiumFact]
    public async Task LayerNamesAreIsolatedAndCutToTheirColumn()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Path, Args = ["--no-sandbox"] });
        var page = await OpenPage(browser, fixture.Server.Address.ToString());
        string longName = new('F', 300);
        await page.EvaluateAsync(@"longName => drawWalk([
            { name: '‮fc6', kind: 'Linear', shape: [32], values: [1, 2, 3] },
            { name: longName, kind: 'Linear', shape: [4], values: [1, -1, 2, 0] }])", longName);
        // The kind and shape keep their order after the name: their box starts right of the name's.
        var order = await page.EvaluateAsync<double[]>(@"() => {
            const h3 = document.querySelector('#walk .layer h3');
            return [h3.querySelector('bdi').getBoundingClientRect().left, h3.querySelector('small').getBoundingClientRect().left,
                    document.documentElement.scrollWidth, window.innerWidth];
        }");
        // A long name is cut before the kind and shape, which stay in view.
        var kind = await page.EvaluateAsync<double[]>($@"() => {{
            const h3 = document.querySelector(`#walk .layer[data-layer='{longName}'] h3`);
            return [h3.querySelector('small').getBoundingClientRect().right, h3.getBoundingClientRect().left + 241];
        }}");
        Assert.True(kind[0] <= kind[1], $"the kind and shape end at {kind[0]}, past the heading's 240 pixels ({kind[1]})");
        Assert.True(order[0] < order[1], $"the name starts at {order[0]}, the kind and shape at {order[1]}");
        Assert.True(order[2] <= order[3], $"the page is {order[2]} pixels wide in a {order[3]}-pixel window");
        Assert.Equal(longName, await page.GetAttributeAsync($"#walk .layer[data-layer='{longName}'] h3", "title"));
    }

    /// <summary>The page sent the browser's type, which comes from the file name: a PNG named .txt went as text/plain and
    /// was refused, though the server tells PNG from the bytes.</summary>
    [ChromiumFact]
    public async Task APngWhoseFileNameIsNotAnImagesIsClassified()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Path, Args = ["--no-sandbox"] });
        var page = await OpenPage(browser, fixture.Server.Address.ToString());
        string png = fixture.Images.First(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase));
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "picture.txt", MimeType = "text/plain", Buffer = File.ReadAllBytes(png) });

        string status = await FinalStatus(page);
        Assert.DoesNotContain("error", await page.GetAttributeAsync("#status", "class") ?? "");
        Assert.StartsWith("picture.txt: ", status);
        Assert.Equal(4, await page.Locator("#top li .bar").CountAsync());
    }

    /// <summary>Errors said "the image cannot be used: ..." without the file, while answers named it.</summary>
    [ChromiumFact]
    public async Task AFileTheServerRefusesIsNamedInTheError()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Path, Args = ["--no-sandbox"] });
        var page = await OpenPage(browser, fixture.Server.Address.ToString());
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "notes.png", MimeType = "image/png", Buffer = "not a picture"u8.ToArray() });

        string status = await FinalStatus(page);
        Assert.Contains("error", await page.GetAttributeAsync("#status", "class") ?? "");
        Assert.StartsWith("notes.png: ", status);
        Assert.Equal(0, await page.Locator("#top li").CountAsync());
    }
}
