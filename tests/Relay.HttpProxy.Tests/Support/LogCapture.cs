using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>Keeps every log line a node writes (event id and formatted message), and signals each one.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly SemaphoreSlim _written = new(0);

    public ConcurrentQueue<(int EventId, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <summary>Waits until a line with <paramref name="eventId"/> matching <paramref name="match"/> is written.</summary>
    public async Task<string> WaitForAsync(int eventId, Func<string, bool>? match = null, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var found = Lines.FirstOrDefault(l => l.EventId == eventId && (match?.Invoke(l.Message) ?? true));
            if (found.Message is not null)
            {
                return found.Message;
            }

            await _written.WaitAsync(deadline.Token);
        }
    }

    public void Dispose() => _written.Dispose();

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner.Lines.Enqueue((eventId.Id, formatter(state, exception)));
            owner._written.Release();
        }
    }
}
