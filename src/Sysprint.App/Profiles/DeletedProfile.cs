namespace Sysprint.App.Profiles;

/// <summary>What a deleted profile held (<c>profile --delete</c>).</summary>
public sealed record DeletedProfile(string Profile, int Transitions, int Logs);
