namespace Sysprint.Fleet;

/// <summary>A log staged in a learning window, with the host that uploaded it first.</summary>
public sealed record StagedLog(string Host, LearningUpload Upload, DateTimeOffset Received);
