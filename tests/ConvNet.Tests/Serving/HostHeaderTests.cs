// DNS rebinding: a request naming Host attacker.example reached a server on 127.0.0.1 and was answered, /v1/model's
// checkpoint path included. A loopback server now answers the loopback names only (and --allowed-hosts).
using System.Net;
using System.Text.Json;
using ConvNet.Serving.Http;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Tests.Serving;

public sealed class HostHeaderTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private async Task<HttpResponseMessage> GetWithHost(string path, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return await fixture.Client.SendAsync(request);
    }

    [Fact]
    public async Task ALoopbackServerRefusesAnotherHostWithA400NamingIt()
    {
        foreach (var host in new[] { "attacker.example", $"attacker.example:{fixture.Server.Address.Port}", "localhost.example" })
        {
            var response = await GetWithHost("/v1/model", host);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{host}: {(int)response.StatusCode} {text}");
            string error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
            Assert.Contains($"Host '{host.Split(':')[0]}'", error);
            Assert.Contains("DNS rebinding", error);
            Assert.DoesNotContain(fixture.Run, text);
        }
    }

    [Fact]
    public async Task ALoopbackServerAnswersTheLoopbackNamesOnAnyPort()
    {
        foreach (var host in new[] { "localhost", "LocalHost:8080", "127.0.0.1", $"127.0.0.1:{fixture.Server.Address.Port}", "[::1]", "[::1]:9" })
            Assert.Equal(HttpStatusCode.OK, (await GetWithHost("/v1/model", host)).StatusCode);
    }

    [Fact]
    public void AnIpAddressAsHostIsAnsweredForNoRebindingPageCanNameOne()
    {
        // The review: a server on 127.0.0.2 refused its own printed address, and 0.0.0.0 with --allowed-hosts refused
        // the 127.0.0.1 address its start line prints.
        foreach (var host in new[] { "127.0.0.2:8080", "[0:0:0:0:0:0:0:1]", "10.0.0.5" })
            Assert.Null(Refusal(HostGuard.For(IPAddress.Parse("127.0.0.2"), []), host));
        var named = HostGuard.For(IPAddress.Any, ["convnet.example"]);
        Assert.Null(Refusal(named, "127.0.0.1:8080"));
        Assert.Null(Refusal(named, "localhost"));
    }

    private static string? Refusal(HostGuard guard, string host)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString(host);
        return guard.Refusal(context.Request);
    }

    [Fact]
    public void AServerOnEveryInterfaceTakesAnyHostUnlessAllowedHostsNamesThem()
    {
        Assert.Null(Refusal(HostGuard.For(IPAddress.Any, []), "anything.example"));
        Assert.Null(Refusal(HostGuard.For(IPAddress.IPv6Any, []), "10.0.0.5:8080"));
        var named = HostGuard.For(IPAddress.Any, ["convnet.example"]);
        Assert.Null(Refusal(named, "convnet.example:80"));
        Assert.NotNull(Refusal(named, "other.example"));
    }

    [Fact]
    public void AllowedHostsAddsNamesToTheLoopbackOnesAndStarTakesAny()
    {
        var proxied = HostGuard.For(IPAddress.Loopback, ["convnet.example"]);
        Assert.Null(Refusal(proxied, "convnet.example"));
        Assert.Null(Refusal(proxied, "localhost:1"));
        Assert.NotNull(Refusal(proxied, "other.example"));
        Assert.Null(Refusal(HostGuard.For(null, ["*"]), "other.example"));
        Assert.NotNull(Refusal(HostGuard.For(null, []), "other.example"));
    }
}
