import type { ModelProto, NodeProto } from '../gen/onnx_pb';
import { OnnxFormatError } from '../errors';

/** The op a failed onnxruntime load is about, read from onnxruntime's message. */
interface OpMention {
  opType: string;
  domain: string;
  node?: string;
  opset?: number;
  why: string;
}

const dom = (d: string) => (d === '' || d === 'ai.onnx' ? 'ai.onnx' : d);

/**
 * Read which op onnxruntime refused from its load error. It says so in three forms:
 * an op missing from a known domain (`No Op registered for Foo with domain_version of 17`, after
 * `In Node, ("name", Foo, "domain", …)`), an op of an unknown domain
 * (`com.example:Foo(-1) is not a registered function/op`), and a domain without an opset import.
 */
function parse(msg: string): OpMention | undefined {
  const inNode = /In Node, \("([^"]*)", ([^,\s]+), "([^"]*)"/.exec(msg);
  const noOp = /No Op registered for (\S+) with domain_version of (\d+)/.exec(msg);
  if (noOp) {
    return {
      opType: noOp[1]!, domain: dom(inNode?.[3] ?? ''), opset: Number(noOp[2]),
      ...(inNode ? { node: inNode[1]! } : {}),
      why: `onnxruntime has no kernel for it at opset ${noOp[2]}`,
    };
  }
  const noImport = /No opset import for domain '([^']*)'/.exec(msg);
  if (noImport && inNode) {
    return { opType: inNode[2]!, domain: dom(noImport[1]!), node: inNode[1]!, why: `the model imports no opset for the domain "${noImport[1]}"` };
  }
  const unknown = /(?:^|\s)([A-Za-z_][\w.]*):([A-Za-z_]\w*)\(-?\d+\) is not a registered function\/op/.exec(msg);
  if (unknown) return { opType: unknown[2]!, domain: dom(unknown[1]!), why: `onnxruntime knows no op of that name in the domain "${unknown[1]}" (a custom op whose library is not registered)` };
  return undefined;
}

/**
 * Turn onnxruntime's load error into an {@link OnnxFormatError} that names the op, its domain, the
 * node (and the nn layer path the exporter wrote in the node's doc string) when the failure is an op
 * onnxruntime cannot run; `undefined` when the error is about something else.
 */
export function unsupportedOpError(where: string, e: unknown, model: ModelProto | undefined): OnnxFormatError | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  const m = parse(msg);
  if (!m) return undefined;
  const nodes: NodeProto[] = model?.graph?.node ?? [];
  const node = nodes.find((n) => n.opType === m.opType && dom(n.domain) === m.domain && (m.node === undefined || n.name === m.node));
  const name = m.node ?? node?.name;
  const layer = node?.docString ? ` (${node.docString})` : '';
  const opset = m.opset ?? Number(model?.opsetImport.find((o) => dom(o.domain) === m.domain)?.version ?? NaN);
  const detail = `op "${m.opType}" (domain ${m.domain}${Number.isFinite(opset) ? `, opset ${opset}` : ''})${name ? ` in node "${name}"` : ''}${layer}: ${m.why}`;
  return new OnnxFormatError(where, detail, { opType: m.opType, domain: m.domain, ...(name ? { node: name } : {}), cause: msg.split('\n')[0]! });
}
