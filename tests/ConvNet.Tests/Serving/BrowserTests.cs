// The page at / in a real browser: headless Debian chromium driven by Playwright (its own browser downloads are never
// used). Picking an image must draw the top classes as bars and the layer walk's tiles and vectors, with no console
// error. Set CONVNET_SCREENSHOT=FILE.png to keep a screenshot of the result (docs/serve.md's was taken so).
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
}
