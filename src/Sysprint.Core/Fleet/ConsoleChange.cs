namespace Sysprint.Fleet;

/// <summary>A change made from the console, as its audit log keeps it: who, when, what, on which profile or alert.</summary>
/// <param name="Action"><c>acknowledge</c> or <c>normal</c> (learnt as normal).</param>
public sealed record ConsoleChange(long Id, DateTimeOffset Time, string Actor, string Action, string? Profile, long? AlertSeq, string Detail);
