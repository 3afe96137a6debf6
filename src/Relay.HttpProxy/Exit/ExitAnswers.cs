using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>The one place that says what the caller's side is sent for each way a relayed request can end.</summary>
internal static class ExitAnswers
{
    public static ExitAnswer For(CalleeCallResult result, RequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return result.Outcome switch
        {
            ExitOutcome.TargetRefused => ExitAnswer.Of(RelayProblem.TargetNotAllowed(head.Target)),
            // Said not-sent so the caller knows a repeat is safe, whatever the method.
            ExitOutcome.DeadlinePassed => ExitAnswer.Of(
                RelayProblem.DeadlineExceeded(TimeSpan.FromMilliseconds(head.DeadlineMilliseconds)), [new(RelayProblem.OutcomeHeader, "not-sent")]),
            ExitOutcome.CalleeUnreachable => ExitAnswer.Of(RelayProblem.CalleeUnreachable(head.Target, result.Detail ?? "the connection failed")),
            ExitOutcome.CalleeTimedOut => ExitAnswer.Of(RelayProblem.CalleeTimedOut(head.Target)),
            // A head has gone: the caller must not take what came as the whole body.
            ExitOutcome.CalleeBodyBroken => ExitAnswer.ResetWith(ResetReason.SourceFailed),
            ExitOutcome.CallerStalled => ExitAnswer.ResetWith(ResetReason.Idle),
            // Served, or nobody is waiting: the caller's side hung up, was reset for breaking the protocol, or this node stops.
            _ => ExitAnswer.None,
        };
    }

    /// <summary>A request that was with the callee when the node stopped and may not be repeated: it may or may not have been acted on.</summary>
    public static ExitAnswer OutcomeUnknown(string method) =>
        ExitAnswer.Of(RelayProblem.OutcomeUnknown(method), [new(RelayProblem.OutcomeHeader, "unknown")]);
}
