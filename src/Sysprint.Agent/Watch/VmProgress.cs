namespace Sysprint.Agent.Watch;

/// <summary>One VM's logs being read: bytes written not read yet, their last growth (file write time), and whether the VM is silent now.</summary>
internal readonly record struct VmProgress(long LagBytes, DateTime? LastGrowth, bool Silent);
