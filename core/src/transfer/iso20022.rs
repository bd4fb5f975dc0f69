//! ISO 20022 pain.001.001.09 and pacs.008.001.08: the writer (text escaped by quick-xml) and the
//! reader (quick-xml's pull parser) of the one-transaction subset the mapping uses. The element
//! order is the schema's; `sdk-ts/test/transfer-xsd.test.mjs` validates generated pain.001
//! messages against the official XSD.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::charset::{Charset, Loss};
use super::format::{drop_field, fit_text, Format, Instruction, Party, XML_DEPTH_MAX, XML_ELEMENTS_MAX};
use super::validate::{check_iban, IbanCode};
use crate::error::{Error, ErrorCode, Result};

const PAIN001_NS: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
const PACS008_NS: &str = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08";
/// What an agent without a BIC is written as (the EPC's convention for a missing identifier).
const NOT_PROVIDED: &str = "NOTPROVIDED";
const PROVIDER_DROPPED: &str = "ISO 20022 names an agent by its BIC; the provider id has no element";

/// An indented XML writer: elements one per line, text escaped.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn new(ns: &str, root: &str) -> Xml {
        let mut x = Xml { out: String::with_capacity(2048), depth: 0 };
        x.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.out.push_str("<Document xmlns=\"");
        x.out.push_str(ns);
        x.out.push_str("\">\n");
        x.depth = 1;
        x.open(root);
        x
    }
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn open(&mut self, tag: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(">\n");
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
    fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
    fn amount(&mut self, tag: &str, ccy: &str, amount: &str) {
        self.indent();
        self.out.push_str(&format!("<{tag} Ccy=\"{}\">{}</{tag}>\n", quick_xml::escape::escape(ccy), quick_xml::escape::escape(amount)));
    }
    fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out.push_str("</Document>\n");
        self.out
    }
}

/// The free-text rules of each format: (charset, name length, remittance length).
fn text_rules(format: Format) -> (Charset, usize) {
    match format {
        Format::Pain001 => (Charset::SepaLatin, 70),
        _ => (Charset::IsoXml, 140),
    }
}

fn account(x: &mut Xml, tag: &str, p: &Party, field: &str, charset: Charset, losses: &mut Vec<Loss>) {
    x.open(tag);
    x.open("Id");
    if check_iban(&p.account).code == IbanCode::Valid {
        x.leaf("IBAN", &p.account);
    } else {
        let id = fit_text(&p.account, field, charset, 34, losses);
        x.open("Othr");
        x.leaf("Id", &id);
        x.close("Othr");
    }
    x.close("Id");
    x.close(tag);
}

fn agent(x: &mut Xml, tag: &str, p: &Party) {
    x.open(tag);
    x.open("FinInstnId");
    match &p.bic {
        Some(bic) => x.leaf("BICFI", bic),
        None => {
            x.open("Othr");
            x.leaf("Id", NOT_PROVIDED);
            x.close("Othr");
        }
    }
    x.close("FinInstnId");
    x.close(tag);
}

fn party_name(x: &mut Xml, tag: &str, p: &Party, field: &str, format: Format, losses: &mut Vec<Loss>) {
    let (charset, max) = text_rules(format);
    let name = fit_text(&p.name, field, charset, max, losses);
    x.open(tag);
    x.leaf("Nm", &name);
    x.close(tag);
}

/// pain.001.001.09, one payment information block with one transaction.
pub(super) fn pain001(i: &Instruction, losses: &mut Vec<Loss>) -> String {
    let f = Format::Pain001;
    let (charset, max) = text_rules(f);
    let mut x = Xml::new(PAIN001_NS, "CstmrCdtTrfInitn");
    x.open("GrpHdr");
    x.leaf("MsgId", &i.message_id);
    x.leaf("CreDtTm", &i.created_at);
    x.leaf("NbOfTxs", "1");
    x.leaf("CtrlSum", &i.amount);
    let initiator = fit_text(&i.initiator, "initiator", charset, max, losses);
    x.open("InitgPty");
    x.leaf("Nm", &initiator);
    x.close("InitgPty");
    x.close("GrpHdr");
    x.open("PmtInf");
    x.leaf("PmtInfId", &i.message_id);
    x.leaf("PmtMtd", "TRF");
    x.leaf("NbOfTxs", "1");
    x.leaf("CtrlSum", &i.amount);
    x.open("ReqdExctnDt");
    x.leaf("Dt", &i.execution_date);
    x.close("ReqdExctnDt");
    party_name(&mut x, "Dbtr", &i.debtor, "debtor.name", f, losses);
    account(&mut x, "DbtrAcct", &i.debtor, "debtor.account", charset, losses);
    agent(&mut x, "DbtrAgt", &i.debtor);
    if let Some(p) = &i.debtor.provider {
        drop_field(p, "debtor.provider", PROVIDER_DROPPED, losses);
    }
    x.open("CdtTrfTxInf");
    x.open("PmtId");
    x.leaf("EndToEndId", &i.end_to_end_id);
    x.close("PmtId");
    x.open("Amt");
    x.amount("InstdAmt", &i.currency, &i.amount);
    x.close("Amt");
    agent(&mut x, "CdtrAgt", &i.creditor);
    party_name(&mut x, "Cdtr", &i.creditor, "creditor.name", f, losses);
    account(&mut x, "CdtrAcct", &i.creditor, "creditor.account", charset, losses);
    if let Some(p) = &i.creditor.provider {
        drop_field(p, "creditor.provider", PROVIDER_DROPPED, losses);
    }
    remittance(&mut x, i, charset, losses);
    x.close("CdtTrfTxInf");
    x.close("PmtInf");
    x.finish("CstmrCdtTrfInitn")
}

fn remittance(x: &mut Xml, i: &Instruction, charset: Charset, losses: &mut Vec<Loss>) {
    if let Some(r) = &i.remittance {
        let r = fit_text(r, "remittance", charset, 140, losses);
        x.open("RmtInf");
        x.leaf("Ustrd", &r);
        x.close("RmtInf");
    }
}

/// pacs.008.001.08, one transaction, settled through the clearing system (`CLRG`), charges
/// shared by the service level (`SLEV`).
pub(super) fn pacs008(i: &Instruction, losses: &mut Vec<Loss>) -> String {
    let f = Format::Pacs008;
    let (charset, max) = text_rules(f);
    let mut x = Xml::new(PACS008_NS, "FIToFICstmrCdtTrf");
    x.open("GrpHdr");
    x.leaf("MsgId", &i.message_id);
    x.leaf("CreDtTm", &i.created_at);
    x.leaf("NbOfTxs", "1");
    x.open("SttlmInf");
    x.leaf("SttlmMtd", "CLRG");
    x.close("SttlmInf");
    x.close("GrpHdr");
    x.open("CdtTrfTxInf");
    x.open("PmtId");
    x.leaf("EndToEndId", &i.end_to_end_id);
    x.close("PmtId");
    x.amount("IntrBkSttlmAmt", &i.currency, &i.amount);
    x.leaf("IntrBkSttlmDt", &i.execution_date);
    x.leaf("ChrgBr", "SLEV");
    let initiator = fit_text(&i.initiator, "initiator", charset, max, losses);
    x.open("InitgPty");
    x.leaf("Nm", &initiator);
    x.close("InitgPty");
    party_name(&mut x, "Dbtr", &i.debtor, "debtor.name", f, losses);
    account(&mut x, "DbtrAcct", &i.debtor, "debtor.account", charset, losses);
    agent(&mut x, "DbtrAgt", &i.debtor);
    if let Some(p) = &i.debtor.provider {
        drop_field(p, "debtor.provider", PROVIDER_DROPPED, losses);
    }
    agent(&mut x, "CdtrAgt", &i.creditor);
    party_name(&mut x, "Cdtr", &i.creditor, "creditor.name", f, losses);
    account(&mut x, "CdtrAcct", &i.creditor, "creditor.account", charset, losses);
    if let Some(p) = &i.creditor.provider {
        drop_field(p, "creditor.provider", PROVIDER_DROPPED, losses);
    }
    remittance(&mut x, i, charset, losses);
    x.close("CdtTrfTxInf");
    x.finish("FIToFICstmrCdtTrf")
}

fn bad_text(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, "text", message)
}

/// The leaves of a document: (path below the root element, text, `Ccy` attribute).
type Leaves = Vec<(String, String, Option<String>)>;

fn read_leaves(text: &str, ns: &str, root: &str) -> Result<Leaves> {
    let mut reader = Reader::from_str(text);
    // (name, had a child element) per open element.
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut buf = String::new();
    let mut ccy: Option<String> = None;
    let mut leaves: Leaves = Vec::new();
    let mut elements = 0usize;
    let mut seen_root = false;
    let malformed = |err: &dyn core::fmt::Display| bad_text(format!("a malformed attribute: {err}"));
    loop {
        let event = reader.read_event().map_err(|e| bad_text(format!("not well-formed XML: {e}")))?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            elements += 1;
            if elements > XML_ELEMENTS_MAX {
                return Err(Error::new(ErrorCode::LimitExceeded, "text", format!("more than {XML_ELEMENTS_MAX} elements")));
            }
            let name = e.name().as_ref().to_owned();
            if stack.is_empty() {
                if seen_root || name != "Document" {
                    return Err(bad_text("the root element must be one Document"));
                }
                seen_root = true;
                let mut ns_ok = false;
                for a in e.attributes() {
                    let a = a.map_err(|err| malformed(&err))?;
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|err| malformed(&err))?;
                    if a.key.as_ref() == "xmlns" && value == ns {
                        ns_ok = true;
                    } else if !a.key.as_ref().starts_with("xmlns:") {
                        return Err(bad_text("Document has an attribute other than its namespace"));
                    }
                }
                if !ns_ok {
                    return Err(bad_text(format!("Document's namespace must be {ns}")));
                }
            } else if stack.len() == 1 && name != root {
                return Err(bad_text(format!("the message element must be {root}")));
            }
            if let Some(top) = stack.last_mut() {
                top.1 = true;
            }
            ccy = None;
            if stack.len() >= 2 {
                for a in e.attributes() {
                    let a = a.map_err(|err| malformed(&err))?;
                    if a.key.as_ref() != "Ccy" {
                        return Err(bad_text(format!("{name} has an attribute that is not read")));
                    }
                    ccy = Some(a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|err| malformed(&err))?.into_owned());
                }
            }
            buf.clear();
            stack.push((name, false));
            if stack.len() > XML_DEPTH_MAX {
                return Err(Error::new(ErrorCode::LimitExceeded, "text", format!("elements nested deeper than {XML_DEPTH_MAX}")));
            }
            if !empty {
                continue;
            }
        }
        match event {
            Event::Start(_) => {}
            Event::End(_) | Event::Empty(_) => {
                let Some((name, had_child)) = stack.pop() else { return Err(bad_text("an end tag without its start")) };
                if !had_child && stack.len() >= 2 {
                    let path: Vec<&str> = stack.iter().skip(2).map(|(n, _)| n.as_str()).chain(core::iter::once(name.as_str())).collect();
                    leaves.push((path.join("/"), core::mem::take(&mut buf), ccy.take()));
                } else if !buf.trim().is_empty() {
                    return Err(bad_text(format!("text inside {name} beside its elements")));
                }
                buf.clear();
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(_) => return Err(bad_text("CDATA sections are not read")),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                Ok(None) => {
                    let name = r.as_ref().to_owned();
                    let v = quick_xml::escape::resolve_predefined_entity(&name).ok_or_else(|| bad_text(format!("unknown entity &{name};")))?;
                    buf.push_str(v);
                }
                Err(e) => return Err(bad_text(format!("a malformed character reference: {e}"))),
            },
            Event::DocType(_) => return Err(bad_text("a DOCTYPE is not read")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() || !seen_root {
        return Err(bad_text("the document ends before its root element closes"));
    }
    Ok(leaves)
}

/// The leaves of a document, each to be read once.
struct Doc {
    leaves: Leaves,
    used: Vec<bool>,
}

impl Doc {
    /// The leaf at `path` (text, `Ccy`), if any; a second leaf at the same path is an error.
    fn get(&mut self, path: &str) -> Result<Option<(String, Option<String>)>> {
        let mut found = None;
        for (i, (p, text, ccy)) in self.leaves.iter().enumerate() {
            if p == path {
                if found.is_some() {
                    return Err(bad_text(format!("{path} appears twice (one transaction per message)")));
                }
                found = Some((text.clone(), ccy.clone()));
                if let Some(u) = self.used.get_mut(i) {
                    *u = true;
                }
            }
        }
        Ok(found)
    }
    fn req(&mut self, path: &str) -> Result<String> {
        self.get(path)?.map(|(t, _)| t).ok_or_else(|| bad_text(format!("{path} is missing")))
    }
    fn constant(&mut self, path: &str, expected: &str) -> Result<()> {
        let v = self.req(path)?;
        if v != expected {
            return Err(bad_text(format!("{path} must be {expected:?}, not {v:?}")));
        }
        Ok(())
    }
    /// One of two alternative leaves.
    fn either(&mut self, a: &str, b: &str) -> Result<(bool, String)> {
        match (self.get(a)?, self.get(b)?) {
            (Some((t, _)), None) => Ok((true, t)),
            (None, Some((t, _))) => Ok((false, t)),
            _ => Err(bad_text(format!("exactly one of {a} and {b} must be present"))),
        }
    }
    fn finish(self) -> Result<()> {
        match self.leaves.iter().zip(&self.used).find(|(_, u)| !**u) {
            Some(((p, _, _), _)) => Err(bad_text(format!("{p} is not part of the mapping"))),
            None => Ok(()),
        }
    }
}

fn read_party(d: &mut Doc, name_path: &str, acct: &str, agent: &str) -> Result<Party> {
    let name = d.req(name_path)?;
    let (_, account) = d.either(&format!("{acct}/Id/IBAN"), &format!("{acct}/Id/Othr/Id"))?;
    let (is_bic, bic) = d.either(&format!("{agent}/FinInstnId/BICFI"), &format!("{agent}/FinInstnId/Othr/Id"))?;
    let bic = if is_bic {
        Some(bic)
    } else if bic == NOT_PROVIDED {
        None
    } else {
        return Err(bad_text(format!("{agent}/FinInstnId/Othr/Id must be {NOT_PROVIDED:?}")));
    };
    Ok(Party { name, account, bic, provider: None })
}

/// Reads a pain.001 or pacs.008 message written by [`pain001`] / [`pacs008`].
pub(super) fn parse(format: Format, text: &str) -> Result<Instruction> {
    let pain = format == Format::Pain001;
    let (ns, root) = if pain { (PAIN001_NS, "CstmrCdtTrfInitn") } else { (PACS008_NS, "FIToFICstmrCdtTrf") };
    let leaves = read_leaves(text, ns, root)?;
    let used = vec![false; leaves.len()];
    let mut d = Doc { leaves, used };
    let message_id = d.req("GrpHdr/MsgId")?;
    let created_at = d.req("GrpHdr/CreDtTm")?;
    d.constant("GrpHdr/NbOfTxs", "1")?;
    let (tx, amount_path, date_path, initiator_path) = if pain {
        ("PmtInf/CdtTrfTxInf", "PmtInf/CdtTrfTxInf/Amt/InstdAmt", "PmtInf/ReqdExctnDt/Dt", "GrpHdr/InitgPty/Nm")
    } else {
        ("CdtTrfTxInf", "CdtTrfTxInf/IntrBkSttlmAmt", "CdtTrfTxInf/IntrBkSttlmDt", "CdtTrfTxInf/InitgPty/Nm")
    };
    let (amount, currency) = d.get(amount_path)?.ok_or_else(|| bad_text(format!("{amount_path} is missing")))?;
    let currency = currency.ok_or_else(|| bad_text(format!("{amount_path} has no Ccy")))?;
    let execution_date = d.req(date_path)?;
    let initiator = d.req(initiator_path)?;
    let (debtor, creditor) = if pain {
        d.constant("GrpHdr/CtrlSum", &amount)?;
        d.constant("PmtInf/PmtInfId", &message_id)?;
        d.constant("PmtInf/PmtMtd", "TRF")?;
        d.constant("PmtInf/NbOfTxs", "1")?;
        d.constant("PmtInf/CtrlSum", &amount)?;
        (read_party(&mut d, "PmtInf/Dbtr/Nm", "PmtInf/DbtrAcct", "PmtInf/DbtrAgt")?, read_party(&mut d, &format!("{tx}/Cdtr/Nm"), &format!("{tx}/CdtrAcct"), &format!("{tx}/CdtrAgt"))?)
    } else {
        d.constant("GrpHdr/SttlmInf/SttlmMtd", "CLRG")?;
        d.constant("CdtTrfTxInf/ChrgBr", "SLEV")?;
        (read_party(&mut d, &format!("{tx}/Dbtr/Nm"), &format!("{tx}/DbtrAcct"), &format!("{tx}/DbtrAgt"))?, read_party(&mut d, &format!("{tx}/Cdtr/Nm"), &format!("{tx}/CdtrAcct"), &format!("{tx}/CdtrAgt"))?)
    };
    let end_to_end_id = d.req(&format!("{tx}/PmtId/EndToEndId"))?;
    let remittance = d.get(&format!("{tx}/RmtInf/Ustrd"))?.map(|(t, _)| t);
    d.finish()?;
    Ok(Instruction { message_id, end_to_end_id, created_at, execution_date, amount, currency, initiator, debtor, creditor, remittance })
}
