namespace Relay.Host.Tests.Cli;

/// <summary>A temp folder for one test, removed with its contents afterwards.</summary>
public abstract class CliTestFolder : IDisposable
{
    protected string Folder { get; } = Path.Combine(Path.GetTempPath(), "relay-host-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    protected static async Task<int> RunAsync(string[] args)
    {
        using var run = new CommandLineRun();
        return await run.InvokeAsync(args);
    }
}
