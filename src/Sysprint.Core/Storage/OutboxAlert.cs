namespace Sysprint.Storage;

/// <summary>An alert as the outbox keeps it: its rendered forms and what lists need.</summary>
/// <param name="Id">Deterministic: the same anomaly in the same log always gets the same id.</param>
/// <param name="Json">The alert as one line of JSON (Falco's shape).</param>
/// <param name="Text">The human line <c>TIME: Priority OUTPUT</c>.</param>
/// <param name="History">When set, the alert also enters the store's alert history (same id), in the same transaction.</param>
public sealed record OutboxAlert(
    string Id,
    DateTimeOffset Time,
    string Rule,
    string Priority,
    string Source,
    string? Vm,
    string? Log,
    string Json,
    string Text,
    AlertEntry? History = null);
