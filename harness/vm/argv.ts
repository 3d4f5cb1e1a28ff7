// The QEMU command line as a pure function of a VmConfig: no I/O, so every
// flag is unit-tested without a VM, and result.json can record it verbatim.

/** One disk as QEMU sees it: a blockdev node (node-name = id) plus a device. */
export interface VmDisk {
  id: string;
  file: string;
  format: 'raw' | 'qcow2';
  bus: 'virtio' | 'usb';
  serial: string;
  /** usb only: report a removable medium (RMB bit), like most USB sticks. */
  removable?: boolean;
}

export interface VmConfig {
  /** Binary path, e.g. 'qemu-system-x86_64'. */
  qemu: string;
  accel: 'kvm' | 'tcg';
  cpus: number;
  memoryMiB: number;
  /** Omit kernel to let SeaBIOS boot from a disk given in `extra` (probes, tests). */
  kernel?: string;
  initrd?: string;
  append?: string;
  disks: VmDisk[];
  /** hostfwd tcp:127.0.0.1:PORT-:22 */
  sshHostPort: number;
  /** Unix socket path for QMP (lives in a private 0700 directory). */
  qmpSocket: string;
  /**
   * Start paused, waiting for a migration stream given later by QMP
   * `migrate-incoming` (a snapshot restore, vm/snapshot.ts). Every other
   * flag must equal the saving QEMU's: the stream carries device state, not devices.
   */
  incoming?: 'defer';
  extra?: string[];
}

// QEMU ids: a letter, then letters, digits, '-', '.', '_' (qdev rejects others).
const QEMU_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
// virtio-blk's serial field is 20 bytes; longer serials are silently truncated
// and /dev/disk/by-id/virtio-SERIAL would not match what the scenario wrote.
const VIRTIO_SERIAL_MAX = 20;
// Unix socket paths must fit sockaddr_un.sun_path (108 bytes with the NUL).
const SUN_PATH_MAX = 107;

/** QemuOpts/keyval escaping: a literal comma is written as two. */
function esc(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Render {driver, k: v, ...} as "driver,k=v,..." for -device. */
function deviceOpt(props: Record<string, unknown>): string {
  const { driver, ...rest } = props;
  const parts = [String(driver)];
  for (const [k, v] of Object.entries(rest)) {
    const s = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
    parts.push(`${k}=${esc(s)}`);
  }
  return parts.join(',');
}

function checkDisk(d: VmDisk): void {
  if (!QEMU_ID.test(d.id)) throw new Error(`disk id ${JSON.stringify(d.id)} is not a valid QEMU id (letter, then [A-Za-z0-9_.-])`);
  if (d.bus === 'virtio' && Buffer.byteLength(d.serial) > VIRTIO_SERIAL_MAX) {
    throw new Error(`disk ${d.id}: virtio serial ${JSON.stringify(d.serial)} is longer than ${VIRTIO_SERIAL_MAX} bytes`);
  }
}

/** The exact device_add arguments that re-plug a usb disk (identical to its -device). */
export function usbDeviceProps(d: VmDisk): Record<string, unknown> {
  const props: Record<string, unknown> = { driver: 'usb-storage', bus: 'xhci.0', drive: d.id, id: d.id, serial: d.serial };
  if (d.removable !== undefined) props.removable = d.removable;
  return props;
}

/** The -device properties of a virtio disk. */
export function virtioDeviceProps(d: VmDisk): Record<string, unknown> {
  return { driver: 'virtio-blk-pci', drive: d.id, id: d.id, serial: d.serial };
}

/** QOM path of the scsi-disk inside a usb-storage device (target of block_set_io_throttle). */
export function scsiChildQomPath(diskId: string): string {
  return `/machine/peripheral/${diskId}/${diskId}.0/legacy[0]`;
}

/** The two -blockdev values for a disk: a protocol node and a format node named after the disk. */
export function blockdevOpts(d: VmDisk): [string, string] {
  // The named format node is what the device attaches to; it outlives
  // device_del, so device_add with drive=ID finds it again (a -drive would be
  // deleted together with its device).
  const fileNode = `driver=file,node-name=${d.id}-file,filename=${esc(d.file)}`;
  const fmtNode = `driver=${d.format},node-name=${d.id},file=${d.id}-file`;
  return [fileNode, fmtNode];
}

function accelArgs(accel: VmConfig['accel']): string[] {
  // KVM: pass the host CPU through. TCG: the default qemu64 model lacks
  // AES-NI/SSE4/AVX2, and ZFS encryption and checksums crawl without them;
  // 'max' enables everything TCG can emulate. thread=multi gives one host
  // thread per vCPU (MTTCG); the default translation cache (1 GiB on 64-bit
  // hosts in QEMU 7.x) is already large, so tb-size is left alone.
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
}

/** Build QEMU's argv (without the binary) for a machine configuration. */
export function buildArgv(cfg: VmConfig): string[] {
  if (!Number.isInteger(cfg.cpus) || cfg.cpus < 1) throw new Error(`cpus must be a positive integer, got ${cfg.cpus}`);
  if (!Number.isInteger(cfg.memoryMiB) || cfg.memoryMiB < 16) throw new Error(`memoryMiB must be an integer >= 16, got ${cfg.memoryMiB}`);
  if (!Number.isInteger(cfg.sshHostPort) || cfg.sshHostPort < 1 || cfg.sshHostPort > 65535) {
    throw new Error(`sshHostPort must be 1..65535, got ${cfg.sshHostPort}`);
  }
  if (Buffer.byteLength(cfg.qmpSocket) > SUN_PATH_MAX) throw new Error(`QMP socket path is too long for a unix socket: ${cfg.qmpSocket}`);
  const ids = new Set<string>();
  for (const d of cfg.disks) {
    checkDisk(d);
    if (ids.has(d.id)) throw new Error(`duplicate disk id ${d.id}`);
    ids.add(d.id);
  }
  if (cfg.kernel === undefined && (cfg.initrd !== undefined || cfg.append !== undefined)) {
    throw new Error('initrd/append given without a kernel');
  }

  const argv: string[] = [
    '-machine', 'q35',
    ...accelArgs(cfg.accel),
    '-smp', String(cfg.cpus),
    '-m', String(cfg.memoryMiB),
    // No implicit devices or config files: the machine is exactly this argv.
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    // A guest reboot ends the run instead of looping; a panic reported through
    // pvpanic pauses the VM (GUEST_PANICKED on QMP) so the console and state
    // remain readable until the harness stops it.
    '-no-reboot',
    '-action', 'panic=pause',
    '-device', 'pvpanic-pci',
    // Entropy for the guest's sshd (dropbear blocks on an empty pool).
    '-device', 'virtio-rng-pci',
    // A VM generation ID (ACPI): a restored snapshot gets a new one, and the
    // guest kernel (CONFIG_VMGENID) reseeds its RNG when it changes, so two
    // attempts restored from one snapshot do not share random numbers.
    '-device', 'vmgenid,guid=auto',
    // Serial console on QEMU's stdout; signal=off so a ^C is data, not a kill.
    '-chardev', 'stdio,id=con0,signal=off',
    '-serial', 'chardev:con0',
    // QMP on a unix socket; wait=off lets QEMU start before the client connects.
    '-chardev', `socket,id=qmp0,path=${esc(cfg.qmpSocket)},server=on,wait=off`,
    '-mon', 'chardev=qmp0,mode=control',
    // SSH only on loopback, so parallel runs and other hosts cannot reach it.
    '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${cfg.sshHostPort}-:22`,
    '-device', 'virtio-net-pci,netdev=net0',
  ];

  if (cfg.kernel !== undefined) {
    argv.push('-kernel', cfg.kernel);
    if (cfg.initrd !== undefined) argv.push('-initrd', cfg.initrd);
    if (cfg.append !== undefined) argv.push('-append', cfg.append);
  }

  if (cfg.disks.some((d) => d.bus === 'usb')) argv.push('-device', 'qemu-xhci,id=xhci');
  for (const d of cfg.disks) {
    const [fileNode, fmtNode] = blockdevOpts(d);
    argv.push('-blockdev', fileNode, '-blockdev', fmtNode);
    argv.push('-device', deviceOpt(d.bus === 'usb' ? usbDeviceProps(d) : virtioDeviceProps(d)));
  }

  if (cfg.incoming) argv.push('-incoming', cfg.incoming);
  argv.push(...(cfg.extra ?? []));
  return argv;
}
