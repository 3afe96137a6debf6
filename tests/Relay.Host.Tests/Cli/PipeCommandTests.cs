namespace Relay.Host.Tests.Cli;

public sealed class PipeCommandTests : CliTestFolder
{
    [Fact]
    public async Task Pipe_MovesFilesUntilStopped_ThenPrintsItsCounters()
    {
        var from = Directory.CreateDirectory(Path.Combine(Folder, "from")).FullName;
        var to = Directory.CreateDirectory(Path.Combine(Folder, "to")).FullName;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var run = new CommandLineRun();
        var piping = run.InvokeAsync(["pipe", "--from", from, "--to", to, "--seed", "7"], stop.Token);

        for (var i = 0; i < 5; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(from, $".f{i}.partial"), $"file {i}");
            File.Move(Path.Combine(from, $".f{i}.partial"), Path.Combine(from, $"f{i}.relay"));
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(to).Length < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await piping);
        Assert.Equal("file 3", await File.ReadAllTextAsync(Path.Combine(to, "f3.relay")));
        Assert.Contains("seen 5, delivered 5, lost 0", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--loss", "1.5")]
    [InlineData("--corrupt", "-0.1")]
    public async Task Pipe_RefusesABadProbabilityNamingTheOption(string option, string value)
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, option, value]);

        Assert.NotEqual(0, exit);
        Assert.Contains($"{option} must be a probability between 0 and 1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipe_RefusesANegativeDelay()
    {
        using var run = new CommandLineRun();
        Assert.NotEqual(0, await run.InvokeAsync(["pipe", "--from", Folder, "--to", Folder, "--delay-ms", "-5"]));
        Assert.Contains("--delay-ms must not be negative", run.Error, StringComparison.Ordinal);
    }
}
