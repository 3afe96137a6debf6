using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Exit;

/// <summary>What the caller's side is sent for each way a relayed request can end.</summary>
public sealed class ExitAnswersTests
{
    private static readonly RequestHead Head =
        new("POST", "http://callee.test/orders", HeaderList.Empty, 0, false, 5_000, BodyCodec.None, "198.51.100.7", "relay-a:8080", "http");

    [Theory]
    [InlineData(nameof(ExitOutcome.TargetRefused), 403, "target-not-allowed")]
    [InlineData(nameof(ExitOutcome.DeadlinePassed), 504, "deadline-exceeded")]
    [InlineData(nameof(ExitOutcome.CalleeUnreachable), 502, "callee-unreachable")]
    [InlineData(nameof(ExitOutcome.CalleeTimedOut), 504, "deadline-exceeded")]
    public void BeforeAResponseHead_TheCallerGetsAProblem(string outcome, int status, string type)
    {
        var answer = ExitAnswers.For(new CalleeCallResult(Enum.Parse<ExitOutcome>(outcome), "connection refused"), Head);

        Assert.NotNull(answer.Problem);
        Assert.Equal(status, answer.Problem.Status);
        Assert.EndsWith(":" + type, answer.Problem.Type, StringComparison.Ordinal);
        Assert.Null(answer.Reset);
    }

    [Fact]
    public void DeadlinePassed_SaysTheRequestWasNotSent()
    {
        var answer = ExitAnswers.For(new CalleeCallResult(ExitOutcome.DeadlinePassed), Head);

        Assert.Equal(HeaderList.FromNamesAndValues([RelayProblem.OutcomeHeader, "not-sent"]), answer.ExtraHeaders);
    }

    [Fact]
    public void CalleeUnreachable_NamesTheTargetAndTheReason()
    {
        var answer = ExitAnswers.For(new CalleeCallResult(ExitOutcome.CalleeUnreachable, "connection refused"), Head);

        Assert.Contains("http://callee.test/orders", answer.Problem!.Detail, StringComparison.Ordinal);
        Assert.Contains("connection refused", answer.Problem.Detail, StringComparison.Ordinal);
        Assert.Empty(answer.ExtraHeaders);
    }

    [Theory]
    [InlineData(nameof(ExitOutcome.CalleeBodyBroken), nameof(ResetReason.SourceFailed))]
    [InlineData(nameof(ExitOutcome.CallerStalled), nameof(ResetReason.Idle))]
    public void AfterAResponseHead_TheStreamIsReset(string outcome, string reason)
    {
        var answer = ExitAnswers.For(new CalleeCallResult(Enum.Parse<ExitOutcome>(outcome)), Head);

        Assert.Null(answer.Problem);
        Assert.Equal(Enum.Parse<ResetReason>(reason), answer.Reset);
    }

    [Theory]
    [InlineData(nameof(ExitOutcome.Served))]
    [InlineData(nameof(ExitOutcome.CallerGone))]
    [InlineData(nameof(ExitOutcome.ProtocolViolation))]
    [InlineData(nameof(ExitOutcome.Stopping))]
    public void Served_OrNobodyWaiting_SendsNothing(string outcome)
    {
        Assert.Same(ExitAnswer.None, ExitAnswers.For(new CalleeCallResult(Enum.Parse<ExitOutcome>(outcome)), Head));
    }

    [Fact]
    public void AfterARestart_ARequestThatMayNotBeRepeated_Is502OutcomeUnknown()
    {
        var answer = ExitAnswers.OutcomeUnknown("POST");

        Assert.Equal(502, answer.Problem!.Status);
        Assert.EndsWith(":outcome-unknown", answer.Problem.Type, StringComparison.Ordinal);
        Assert.Equal(HeaderList.FromNamesAndValues([RelayProblem.OutcomeHeader, "unknown"]), answer.ExtraHeaders);
    }

    [Fact]
    public void EveryOutcome_HasAnAnswer()
    {
        foreach (var outcome in Enum.GetValues<ExitOutcome>())
        {
            var answer = ExitAnswers.For(new CalleeCallResult(outcome), Head);
            Assert.False(answer.Problem is not null && answer.Reset is not null, $"{outcome} both answers and resets");
        }
    }
}
