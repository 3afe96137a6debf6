using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Relay.Host.Tests.Cli;

namespace Relay.Host.Tests.Docs;

/// <summary>
/// Follows docs/getting-started.md's walkthrough as written: its shell blocks run in order with
/// <c>relay</c> standing for the built executable, so the doc cannot drift from the product. The
/// callee block is replaced by a service this test starts (the doc's uses Python), and each
/// <c>curl</c> is made with HttpClient to the same URL (curl need not be installed). Ports are
/// swapped for free ones.
/// </summary>
public sealed partial class WalkthroughTests : CliTestFolder
{
    [Fact]
    public async Task GettingStartedWalkthrough_WorksAsWritten()
    {
        var ports = new Dictionary<string, string> { ["8080"] = FreePort(), ["8081"] = FreePort(), ["9000"] = FreePort() };
        var blocks = WalkthroughBlocks().Select(block => ports.Aggregate(block, (text, port) => text.Replace(port.Key, port.Value, StringComparison.Ordinal))).ToList();
        var callee = Assert.Single(blocks, b => b.StartsWith("# callee", StringComparison.Ordinal));
        var checks = Assert.Single(blocks, b => b.Contains("curl ", StringComparison.Ordinal));
        var setup = blocks.Where(b => b != callee && b != checks).ToList();
        Assert.True(setup.Count >= 4, "the walkthrough lost its setup blocks");
        Directory.CreateDirectory(Folder);

        await using var service = await StartCalleeAsync(ports["9000"]);
        var relayDll = Path.Combine(AppContext.BaseDirectory, "relay.dll");
        var script = new StringBuilder()
            .AppendLine("set -e")
            .AppendLine($"relay() {{ dotnet '{relayDll}' \"$@\"; }}")
            .AppendJoin('\n', setup)
            .AppendLine()
            // Keep the shell, and with it the background jobs, until the test ends it.
            .AppendLine("wait")
            .ToString();
        await File.WriteAllTextAsync(Path.Combine(Folder, "walkthrough.sh"), script);
        using var shell = Process.Start(new ProcessStartInfo("bash", ["walkthrough.sh"]) { WorkingDirectory = Folder, UseShellExecute = false, RedirectStandardError = true })!;
        var shellErrors = shell.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            foreach (var line in checks.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (line.StartsWith("curl ", StringComparison.Ordinal))
                {
                    var url = UrlIn().Match(line).Value;
                    var body = await GetUntilOkAsync(client, url, shell, shellErrors);
                    Assert.Contains(url.Contains("/relay/status", StringComparison.Ordinal) ? "\"peer\": \"site-b\"" : "hello from site-b", body, StringComparison.Ordinal);
                }
                else if (line.StartsWith("relay status ", StringComparison.Ordinal))
                {
                    using var run = new CommandLineRun();
                    var args = line["relay ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a.Contains(".json", StringComparison.Ordinal) ? Path.Combine(Folder, a) : a).ToArray();
                    Assert.Equal(0, await run.InvokeAsync(args));
                    Assert.Contains("peer site-b", run.Output, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Fail($"the walkthrough's check block has a line this test does not know: {line}");
                }
            }
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync();
        }
    }

    private static async Task<string> GetUntilOkAsync(HttpClient client, string url, Process shell, Task<string> shellErrors)
    {
        // The nodes start, then the request crosses a lossy pipe: bounded retries until it is answered.
        for (var attempt = 0; attempt < 120; attempt++)
        {
            if (shell.HasExited)
            {
                Assert.Fail($"the walkthrough's commands stopped: {await shellErrors}");
            }

            try
            {
                using var response = await client.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadAsStringAsync();
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{url} never answered 200");
        return "";
    }

    private static List<string> WalkthroughBlocks()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "getting-started.md"));
        var start = doc.IndexOf("<!-- walkthrough", StringComparison.Ordinal);
        var end = doc.IndexOf("<!-- end of walkthrough -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/getting-started.md lost its walkthrough markers");
        return [.. ShellBlock().Matches(doc[start..end]).Select(m => m.Groups[1].Value.Trim())];
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Relay.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Relay.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<WebApplication> StartCalleeAsync(string port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/hello.txt", () => Results.Text("hello from site-b\n"));
        await app.StartAsync();
        return app;
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"http://\S+")]
    private static partial Regex UrlIn();
}
