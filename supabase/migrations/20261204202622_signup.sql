-- Sign-up as people have it: names and numbers as people write them, a lockout that a reset
-- link ends everywhere, and a guest already on a closed or full list getting their pass back from
-- any phone without the list's closing telling a stranger who is on it.
--
-- Names: any Unicode letters and combining marks (the class below is Unicode 17's \p{L} and \p{M},
-- the same the client's zod schema uses), NFC-normalised, 1 to 50 characters, words joined by one
-- space, hyphen or apostrophe, initials with a dot ("J.", "J.R."). Invisible characters (direction
-- marks, zero-width characters, the byte-order mark, the soft hyphen) are removed and every kind
-- of space counts as one space, in names and in phone numbers, so that a number pasted from a
-- phone's contacts is the number.

-- =============================================================================================
-- Functions: names and numbers
-- =============================================================================================

/**
 * A name as a person writes it: invisible characters removed, every run of spaces of any kind one
 * space, trimmed, NFC-normalised; then 1 to 50 characters of Unicode letters and combining marks,
 * words joined by one space, hyphen or apostrophe, and a dot after a word for initials ("J.",
 * "J. R. Tolkien", "J.R."). Raises 400 `invalid_<field>` otherwise; never shortens a name.
 * client/schemas.ts `tidyName` and `NAME` are the same rule (tests/names-numbers.test.ts checks
 * that they agree).
 */
create or replace function private.clean_name(p_field text, p_name text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_letter constant text := '[\u0041-\u005A\u0061-\u007A\u00AA\u00B5\u00BA\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02C1\u02C6-\u02D1\u02E0-\u02E4\u02EC\u02EE\u0300-\u0374\u0376-\u0377\u037A-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u0483-\u052F\u0531-\u0556\u0559\u0560-\u0588\u0591-\u05BD\u05BF\u05C1-\u05C2\u05C4-\u05C5\u05C7\u05D0-\u05EA\u05EF-\u05F2\u0610-\u061A\u0620-\u065F\u066E-\u06D3\u06D5-\u06DC\u06DF-\u06E8\u06EA-\u06EF\u06FA-\u06FC\u06FF\u0710-\u074A\u074D-\u07B1\u07CA-\u07F5\u07FA\u07FD\u0800-\u082D\u0840-\u085B\u0860-\u086A\u0870-\u0887\u0889-\u088F\u0897-\u08E1\u08E3-\u0963\u0971-\u0983\u0985-\u098C\u098F-\u0990\u0993-\u09A8\u09AA-\u09B0\u09B2\u09B6-\u09B9\u09BC-\u09C4\u09C7-\u09C8\u09CB-\u09CE\u09D7\u09DC-\u09DD\u09DF-\u09E3\u09F0-\u09F1\u09FC\u09FE\u0A01-\u0A03\u0A05-\u0A0A\u0A0F-\u0A10\u0A13-\u0A28\u0A2A-\u0A30\u0A32-\u0A33\u0A35-\u0A36\u0A38-\u0A39\u0A3C\u0A3E-\u0A42\u0A47-\u0A48\u0A4B-\u0A4D\u0A51\u0A59-\u0A5C\u0A5E\u0A70-\u0A75\u0A81-\u0A83\u0A85-\u0A8D\u0A8F-\u0A91\u0A93-\u0AA8\u0AAA-\u0AB0\u0AB2-\u0AB3\u0AB5-\u0AB9\u0ABC-\u0AC5\u0AC7-\u0AC9\u0ACB-\u0ACD\u0AD0\u0AE0-\u0AE3\u0AF9-\u0AFF\u0B01-\u0B03\u0B05-\u0B0C\u0B0F-\u0B10\u0B13-\u0B28\u0B2A-\u0B30\u0B32-\u0B33\u0B35-\u0B39\u0B3C-\u0B44\u0B47-\u0B48\u0B4B-\u0B4D\u0B55-\u0B57\u0B5C-\u0B5D\u0B5F-\u0B63\u0B71\u0B82-\u0B83\u0B85-\u0B8A\u0B8E-\u0B90\u0B92-\u0B95\u0B99-\u0B9A\u0B9C\u0B9E-\u0B9F\u0BA3-\u0BA4\u0BA8-\u0BAA\u0BAE-\u0BB9\u0BBE-\u0BC2\u0BC6-\u0BC8\u0BCA-\u0BCD\u0BD0\u0BD7\u0C00-\u0C0C\u0C0E-\u0C10\u0C12-\u0C28\u0C2A-\u0C39\u0C3C-\u0C44\u0C46-\u0C48\u0C4A-\u0C4D\u0C55-\u0C56\u0C58-\u0C5A\u0C5C-\u0C5D\u0C60-\u0C63\u0C80-\u0C83\u0C85-\u0C8C\u0C8E-\u0C90\u0C92-\u0CA8\u0CAA-\u0CB3\u0CB5-\u0CB9\u0CBC-\u0CC4\u0CC6-\u0CC8\u0CCA-\u0CCD\u0CD5-\u0CD6\u0CDC-\u0CDE\u0CE0-\u0CE3\u0CF1-\u0CF3\u0D00-\u0D0C\u0D0E-\u0D10\u0D12-\u0D44\u0D46-\u0D48\u0D4A-\u0D4E\u0D54-\u0D57\u0D5F-\u0D63\u0D7A-\u0D7F\u0D81-\u0D83\u0D85-\u0D96\u0D9A-\u0DB1\u0DB3-\u0DBB\u0DBD\u0DC0-\u0DC6\u0DCA\u0DCF-\u0DD4\u0DD6\u0DD8-\u0DDF\u0DF2-\u0DF3\u0E01-\u0E3A\u0E40-\u0E4E\u0E81-\u0E82\u0E84\u0E86-\u0E8A\u0E8C-\u0EA3\u0EA5\u0EA7-\u0EBD\u0EC0-\u0EC4\u0EC6\u0EC8-\u0ECE\u0EDC-\u0EDF\u0F00\u0F18-\u0F19\u0F35\u0F37\u0F39\u0F3E-\u0F47\u0F49-\u0F6C\u0F71-\u0F84\u0F86-\u0F97\u0F99-\u0FBC\u0FC6\u1000-\u103F\u1050-\u108F\u109A-\u109D\u10A0-\u10C5\u10C7\u10CD\u10D0-\u10FA\u10FC-\u1248\u124A-\u124D\u1250-\u1256\u1258\u125A-\u125D\u1260-\u1288\u128A-\u128D\u1290-\u12B0\u12B2-\u12B5\u12B8-\u12BE\u12C0\u12C2-\u12C5\u12C8-\u12D6\u12D8-\u1310\u1312-\u1315\u1318-\u135A\u135D-\u135F\u1380-\u138F\u13A0-\u13F5\u13F8-\u13FD\u1401-\u166C\u166F-\u167F\u1681-\u169A\u16A0-\u16EA\u16F1-\u16F8\u1700-\u1715\u171F-\u1734\u1740-\u1753\u1760-\u176C\u176E-\u1770\u1772-\u1773\u1780-\u17D3\u17D7\u17DC-\u17DD\u180B-\u180D\u180F\u1820-\u1878\u1880-\u18AA\u18B0-\u18F5\u1900-\u191E\u1920-\u192B\u1930-\u193B\u1950-\u196D\u1970-\u1974\u1980-\u19AB\u19B0-\u19C9\u1A00-\u1A1B\u1A20-\u1A5E\u1A60-\u1A7C\u1A7F\u1AA7\u1AB0-\u1ADD\u1AE0-\u1AEB\u1B00-\u1B4C\u1B6B-\u1B73\u1B80-\u1BAF\u1BBA-\u1BF3\u1C00-\u1C37\u1C4D-\u1C4F\u1C5A-\u1C7D\u1C80-\u1C8A\u1C90-\u1CBA\u1CBD-\u1CBF\u1CD0-\u1CD2\u1CD4-\u1CFA\u1D00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2071\u207F\u2090-\u209C\u20D0-\u20F0\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183-\u2184\u2C00-\u2CE4\u2CEB-\u2CF3\u2D00-\u2D25\u2D27\u2D2D\u2D30-\u2D67\u2D6F\u2D7F-\u2D96\u2DA0-\u2DA6\u2DA8-\u2DAE\u2DB0-\u2DB6\u2DB8-\u2DBE\u2DC0-\u2DC6\u2DC8-\u2DCE\u2DD0-\u2DD6\u2DD8-\u2DDE\u2DE0-\u2DFF\u2E2F\u3005-\u3006\u302A-\u302F\u3031-\u3035\u303B-\u303C\u3041-\u3096\u3099-\u309A\u309D-\u309F\u30A1-\u30FA\u30FC-\u30FF\u3105-\u312F\u3131-\u318E\u31A0-\u31BF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\uA48C\uA4D0-\uA4FD\uA500-\uA60C\uA610-\uA61F\uA62A-\uA62B\uA640-\uA672\uA674-\uA67D\uA67F-\uA6E5\uA6F0-\uA6F1\uA717-\uA71F\uA722-\uA788\uA78B-\uA7DC\uA7F1-\uA827\uA82C\uA840-\uA873\uA880-\uA8C5\uA8E0-\uA8F7\uA8FB\uA8FD-\uA8FF\uA90A-\uA92D\uA930-\uA953\uA960-\uA97C\uA980-\uA9C0\uA9CF\uA9E0-\uA9EF\uA9FA-\uA9FE\uAA00-\uAA36\uAA40-\uAA4D\uAA60-\uAA76\uAA7A-\uAAC2\uAADB-\uAADD\uAAE0-\uAAEF\uAAF2-\uAAF6\uAB01-\uAB06\uAB09-\uAB0E\uAB11-\uAB16\uAB20-\uAB26\uAB28-\uAB2E\uAB30-\uAB5A\uAB5C-\uAB69\uAB70-\uABEA\uABEC-\uABED\uAC00-\uD7A3\uD7B0-\uD7C6\uD7CB-\uD7FB\uF900-\uFA6D\uFA70-\uFAD9\uFB00-\uFB06\uFB13-\uFB17\uFB1D-\uFB28\uFB2A-\uFB36\uFB38-\uFB3C\uFB3E\uFB40-\uFB41\uFB43-\uFB44\uFB46-\uFBB1\uFBD3-\uFD3D\uFD50-\uFD8F\uFD92-\uFDC7\uFDF0-\uFDFB\uFE00-\uFE0F\uFE20-\uFE2F\uFE70-\uFE74\uFE76-\uFEFC\uFF21-\uFF3A\uFF41-\uFF5A\uFF66-\uFFBE\uFFC2-\uFFC7\uFFCA-\uFFCF\uFFD2-\uFFD7\uFFDA-\uFFDC\U00010000-\U0001000B\U0001000D-\U00010026\U00010028-\U0001003A\U0001003C-\U0001003D\U0001003F-\U0001004D\U00010050-\U0001005D\U00010080-\U000100FA\U000101FD\U00010280-\U0001029C\U000102A0-\U000102D0\U000102E0\U00010300-\U0001031F\U0001032D-\U00010340\U00010342-\U00010349\U00010350-\U0001037A\U00010380-\U0001039D\U000103A0-\U000103C3\U000103C8-\U000103CF\U00010400-\U0001049D\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010500-\U00010527\U00010530-\U00010563\U00010570-\U0001057A\U0001057C-\U0001058A\U0001058C-\U00010592\U00010594-\U00010595\U00010597-\U000105A1\U000105A3-\U000105B1\U000105B3-\U000105B9\U000105BB-\U000105BC\U000105C0-\U000105F3\U00010600-\U00010736\U00010740-\U00010755\U00010760-\U00010767\U00010780-\U00010785\U00010787-\U000107B0\U000107B2-\U000107BA\U00010800-\U00010805\U00010808\U0001080A-\U00010835\U00010837-\U00010838\U0001083C\U0001083F-\U00010855\U00010860-\U00010876\U00010880-\U0001089E\U000108E0-\U000108F2\U000108F4-\U000108F5\U00010900-\U00010915\U00010920-\U00010939\U00010940-\U00010959\U00010980-\U000109B7\U000109BE-\U000109BF\U00010A00-\U00010A03\U00010A05-\U00010A06\U00010A0C-\U00010A13\U00010A15-\U00010A17\U00010A19-\U00010A35\U00010A38-\U00010A3A\U00010A3F\U00010A60-\U00010A7C\U00010A80-\U00010A9C\U00010AC0-\U00010AC7\U00010AC9-\U00010AE6\U00010B00-\U00010B35\U00010B40-\U00010B55\U00010B60-\U00010B72\U00010B80-\U00010B91\U00010C00-\U00010C48\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U00010D00-\U00010D27\U00010D4A-\U00010D65\U00010D69-\U00010D6D\U00010D6F-\U00010D85\U00010E80-\U00010EA9\U00010EAB-\U00010EAC\U00010EB0-\U00010EB1\U00010EC2-\U00010EC7\U00010EFA-\U00010F1C\U00010F27\U00010F30-\U00010F50\U00010F70-\U00010F85\U00010FB0-\U00010FC4\U00010FE0-\U00010FF6\U00011000-\U00011046\U00011070-\U00011075\U0001107F-\U000110BA\U000110C2\U000110D0-\U000110E8\U00011100-\U00011134\U00011144-\U00011147\U00011150-\U00011173\U00011176\U00011180-\U000111C4\U000111C9-\U000111CC\U000111CE-\U000111CF\U000111DA\U000111DC\U00011200-\U00011211\U00011213-\U00011237\U0001123E-\U00011241\U00011280-\U00011286\U00011288\U0001128A-\U0001128D\U0001128F-\U0001129D\U0001129F-\U000112A8\U000112B0-\U000112EA\U00011300-\U00011303\U00011305-\U0001130C\U0001130F-\U00011310\U00011313-\U00011328\U0001132A-\U00011330\U00011332-\U00011333\U00011335-\U00011339\U0001133B-\U00011344\U00011347-\U00011348\U0001134B-\U0001134D\U00011350\U00011357\U0001135D-\U00011363\U00011366-\U0001136C\U00011370-\U00011374\U00011380-\U00011389\U0001138B\U0001138E\U00011390-\U000113B5\U000113B7-\U000113C0\U000113C2\U000113C5\U000113C7-\U000113CA\U000113CC-\U000113D3\U000113E1-\U000113E2\U00011400-\U0001144A\U0001145E-\U00011461\U00011480-\U000114C5\U000114C7\U00011580-\U000115B5\U000115B8-\U000115C0\U000115D8-\U000115DD\U00011600-\U00011640\U00011644\U00011680-\U000116B8\U00011700-\U0001171A\U0001171D-\U0001172B\U00011740-\U00011746\U00011800-\U0001183A\U000118A0-\U000118DF\U000118FF-\U00011906\U00011909\U0001190C-\U00011913\U00011915-\U00011916\U00011918-\U00011935\U00011937-\U00011938\U0001193B-\U00011943\U000119A0-\U000119A7\U000119AA-\U000119D7\U000119DA-\U000119E1\U000119E3-\U000119E4\U00011A00-\U00011A3E\U00011A47\U00011A50-\U00011A99\U00011A9D\U00011AB0-\U00011AF8\U00011B60-\U00011B67\U00011BC0-\U00011BE0\U00011C00-\U00011C08\U00011C0A-\U00011C36\U00011C38-\U00011C40\U00011C72-\U00011C8F\U00011C92-\U00011CA7\U00011CA9-\U00011CB6\U00011D00-\U00011D06\U00011D08-\U00011D09\U00011D0B-\U00011D36\U00011D3A\U00011D3C-\U00011D3D\U00011D3F-\U00011D47\U00011D60-\U00011D65\U00011D67-\U00011D68\U00011D6A-\U00011D8E\U00011D90-\U00011D91\U00011D93-\U00011D98\U00011DB0-\U00011DDB\U00011EE0-\U00011EF6\U00011F00-\U00011F10\U00011F12-\U00011F3A\U00011F3E-\U00011F42\U00011F5A\U00011FB0\U00012000-\U00012399\U00012480-\U00012543\U00012F90-\U00012FF0\U00013000-\U0001342F\U00013440-\U00013455\U00013460-\U000143FA\U00014400-\U00014646\U00016100-\U0001612F\U00016800-\U00016A38\U00016A40-\U00016A5E\U00016A70-\U00016ABE\U00016AD0-\U00016AED\U00016AF0-\U00016AF4\U00016B00-\U00016B36\U00016B40-\U00016B43\U00016B63-\U00016B77\U00016B7D-\U00016B8F\U00016D40-\U00016D6C\U00016E40-\U00016E7F\U00016EA0-\U00016EB8\U00016EBB-\U00016ED3\U00016F00-\U00016F4A\U00016F4F-\U00016F87\U00016F8F-\U00016F9F\U00016FE0-\U00016FE1\U00016FE3-\U00016FE4\U00016FF0-\U00016FF3\U00017000-\U00018CD5\U00018CFF-\U00018D1E\U00018D80-\U00018DF2\U0001AFF0-\U0001AFF3\U0001AFF5-\U0001AFFB\U0001AFFD-\U0001AFFE\U0001B000-\U0001B122\U0001B132\U0001B150-\U0001B152\U0001B155\U0001B164-\U0001B167\U0001B170-\U0001B2FB\U0001BC00-\U0001BC6A\U0001BC70-\U0001BC7C\U0001BC80-\U0001BC88\U0001BC90-\U0001BC99\U0001BC9D-\U0001BC9E\U0001CF00-\U0001CF2D\U0001CF30-\U0001CF46\U0001D165-\U0001D169\U0001D16D-\U0001D172\U0001D17B-\U0001D182\U0001D185-\U0001D18B\U0001D1AA-\U0001D1AD\U0001D242-\U0001D244\U0001D400-\U0001D454\U0001D456-\U0001D49C\U0001D49E-\U0001D49F\U0001D4A2\U0001D4A5-\U0001D4A6\U0001D4A9-\U0001D4AC\U0001D4AE-\U0001D4B9\U0001D4BB\U0001D4BD-\U0001D4C3\U0001D4C5-\U0001D505\U0001D507-\U0001D50A\U0001D50D-\U0001D514\U0001D516-\U0001D51C\U0001D51E-\U0001D539\U0001D53B-\U0001D53E\U0001D540-\U0001D544\U0001D546\U0001D54A-\U0001D550\U0001D552-\U0001D6A5\U0001D6A8-\U0001D6C0\U0001D6C2-\U0001D6DA\U0001D6DC-\U0001D6FA\U0001D6FC-\U0001D714\U0001D716-\U0001D734\U0001D736-\U0001D74E\U0001D750-\U0001D76E\U0001D770-\U0001D788\U0001D78A-\U0001D7A8\U0001D7AA-\U0001D7C2\U0001D7C4-\U0001D7CB\U0001DA00-\U0001DA36\U0001DA3B-\U0001DA6C\U0001DA75\U0001DA84\U0001DA9B-\U0001DA9F\U0001DAA1-\U0001DAAF\U0001DF00-\U0001DF1E\U0001DF25-\U0001DF2A\U0001E000-\U0001E006\U0001E008-\U0001E018\U0001E01B-\U0001E021\U0001E023-\U0001E024\U0001E026-\U0001E02A\U0001E030-\U0001E06D\U0001E08F\U0001E100-\U0001E12C\U0001E130-\U0001E13D\U0001E14E\U0001E290-\U0001E2AE\U0001E2C0-\U0001E2EF\U0001E4D0-\U0001E4EF\U0001E5D0-\U0001E5F0\U0001E6C0-\U0001E6DE\U0001E6E0-\U0001E6F5\U0001E6FE-\U0001E6FF\U0001E7E0-\U0001E7E6\U0001E7E8-\U0001E7EB\U0001E7ED-\U0001E7EE\U0001E7F0-\U0001E7FE\U0001E800-\U0001E8C4\U0001E8D0-\U0001E8D6\U0001E900-\U0001E94B\U0001EE00-\U0001EE03\U0001EE05-\U0001EE1F\U0001EE21-\U0001EE22\U0001EE24\U0001EE27\U0001EE29-\U0001EE32\U0001EE34-\U0001EE37\U0001EE39\U0001EE3B\U0001EE42\U0001EE47\U0001EE49\U0001EE4B\U0001EE4D-\U0001EE4F\U0001EE51-\U0001EE52\U0001EE54\U0001EE57\U0001EE59\U0001EE5B\U0001EE5D\U0001EE5F\U0001EE61-\U0001EE62\U0001EE64\U0001EE67-\U0001EE6A\U0001EE6C-\U0001EE72\U0001EE74-\U0001EE77\U0001EE79-\U0001EE7C\U0001EE7E\U0001EE80-\U0001EE89\U0001EE8B-\U0001EE9B\U0001EEA1-\U0001EEA3\U0001EEA5-\U0001EEA9\U0001EEAB-\U0001EEBB\U00020000-\U0002A6DF\U0002A700-\U0002B81D\U0002B820-\U0002CEAD\U0002CEB0-\U0002EBE0\U0002EBF0-\U0002EE5D\U0002F800-\U0002FA1D\U00030000-\U0003134A\U00031350-\U00033479\U000E0100-\U000E01EF]';
  v_name text := normalize(btrim(regexp_replace(private.strip_invisible(p_name), private.space_class() || '+', ' ', 'g'), ' '), nfc);
begin
  if length(v_name) not between 1 and 50
     or v_name !~ ('^' || v_letter || '+(\.?[ ''’-]' || v_letter || '+|\.' || v_letter || '+)*\.?$') then
    perform private.fail(400, 'invalid_' || p_field,
      format('The %s must be 1 to 50 letters (spaces, hyphens, apostrophes and initials with a dot are fine).',
             replace(p_field, '_', ' ')),
      format('Check the %s.', replace(p_field, '_', ' ')));
  end if;
  return v_name;
end
$$;

/** Every kind of space, as a regular-expression class (client/schemas.ts `SPACES`). */
create or replace function private.space_class()
returns text
language sql
immutable
set search_path = ''
as $$
  select '[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]'
$$;

/**
 * The text without invisible characters: the soft hyphen, the Arabic letter mark, the Mongolian
 * vowel separator, zero-width spaces and joiners, direction marks, embeddings, overrides and
 * isolates, the word joiner and invisible operators, and the byte-order mark (client/schemas.ts
 * `INVISIBLE`). iOS wraps a number copied from a contact in direction marks.
 */
create or replace function private.strip_invisible(p_text text)
returns text
language sql
immutable
set search_path = ''
as $$
  select regexp_replace(coalesce(p_text, ''),
    '[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]', '', 'g')
$$;

/**
 * A phone number in E.164 (+ and 8 to 15 digits), from what a person types or pastes: invisible
 * characters, spaces of any kind, dots, brackets and hyphens are ignored; 00 is +; a number without
 * either gets the default country code (`default_country_code`, Portugal: 9 digits starting 2, 3
 * or 9). Raises 400 `invalid_phone` otherwise (also for more than 32 characters as given).
 */
create or replace function private.normalize_phone(p_phone text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_raw text := regexp_replace(regexp_replace(private.strip_invisible(p_phone), private.space_class(), '', 'g'),
                               '[.()-]', '', 'g');
  v_digits text;
  v_cc text := private.setting('default_country_code') #>> '{}';
  v_e164 text;
begin
  if length(p_phone) > 32 or v_raw !~ '^\+?[0-9]+$' then
    perform private.fail(400, 'invalid_phone', 'That does not look like a phone number.',
      'Type your mobile number, for example 912 345 678 or +44 7700 900123.');
  end if;
  v_digits := ltrim(v_raw, '+');
  if v_raw like '+%' then
    v_e164 := '+' || v_digits;
  elsif v_digits like '00%' then
    v_e164 := '+' || substr(v_digits, 3);
  elsif v_cc = '351' then
    v_e164 := '+351' || v_digits;
  else
    v_e164 := '+' || v_cc || regexp_replace(v_digits, '^0', '');
  end if;

  if v_e164 !~ '^\+[1-9][0-9]{7,14}$'
     or (v_e164 like '+351%' and v_e164 !~ '^\+351[239][0-9]{8}$') then
    perform private.fail(400, 'invalid_phone', 'That does not look like a complete phone number.',
      'Check the number; for another country start with + and the country code.');
  end if;
  return v_e164;
end
$$;

-- =============================================================================================
-- Functions: wrong passwords, and the reset that ends their lockout everywhere
-- =============================================================================================

/**
 * The key of a phone's wrong passwords from one address: phone, address and the account's
 * current salt. A reset link gives the account a new salt, so every address's lockout ends with
 * it, also at the address where the guest locked themselves out (the link may be opened
 * elsewhere, and the database cannot list the addresses it keyed by hash).
 */
create or replace function private.login_failure_key(p_phone text, p_address text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p_phone || ' ' || p_address || ' '
      || coalesce((select u.password_salt from private.client_users u where u.phone = p_phone), '')
$$;

/**
 * The checks before a password comparison, for a phone from the caller's address (`p_address`):
 * a phone with an account that this address has locked itself out of (429 `account_locked`, its
 * Retry-After the true wait: 15 minutes after the fifth wrong password), then the per-(phone,
 * address) attempts and the per-address password checks, each counted now (429 `rate_limited`
 * past them).
 *
 * Back-off is keyed by phone and address (and the account's salt, so that a password reset ends
 * it: private.login_failure_key): wrong passwords from one address lock that address out of the
 * phone (`login_failures`); past `phone_failures` from all addresses together, every address that
 * has failed at least once is locked out too, while an address that never failed (the owner's)
 * still gets in. A number with no account is never locked.
 */
create or replace function private.check_password_attempt(p_phone text, p_address text, p_has_account boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  p record;
begin
  if p_has_account then
    select * into r from private.rate_limit_add('login_failures', private.login_failure_key(p_phone, p_address), 0);
    select * into p from private.rate_limit_add('phone_failures', p_phone, 0);
    if r.total >= r.max_hits or (p.total >= p.max_hits and r.total >= 1) then
      perform private.fail_retry(429, 'account_locked',
        'Too many wrong passwords for this phone number from here; it is locked for a while.',
        format('Try again in %s minutes, or reset the password by e-mail.', ceil(greatest(r.retry_after, p.retry_after) / 60.0)),
        greatest(r.retry_after, p.retry_after));
    end if;
  end if;
  perform private.rate_limit('phone_attempts', p_phone || ' ' || p_address);
  perform private.rate_limit('address_passwords', p_address);
end
$$;

/** A wrong password: counted for this address and for the phone; returns the committed error. */
create or replace function private.password_failed(p_phone text, p_address text, p_status integer, p_code text,
  p_detail text, p_hint text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.rate_limit_add('login_failures', private.login_failure_key(p_phone, p_address), 1);
  perform private.rate_limit_add('phone_failures', p_phone, 1);
  return private.committed_error(p_status, p_code, p_detail, p_hint);
end
$$;

/** After a correct password: clear this address's failures for the phone, note the login. */
create or replace function private.password_succeeded(p_phone text, p_address text, p_client_user_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.rate_limit_counters
  where bucket = 'login_failures' and key_hash = private.sha256(private.login_failure_key(p_phone, p_address));
  update private.client_users set last_login_at = now() where id = p_client_user_id;
$$;

-- =============================================================================================
-- The seed's fields as questions an organiser chooses per night
-- =============================================================================================
--
-- Seed 001 asked every guest for date of birth, gender and city. Here each night asks what its
-- organiser chooses (public.event_questions, set on /manage with set_event_questions): date of
-- birth (with an optional minimum age, checked when a guest registers or joins and shown at the
-- door), gender, city. The answers are stored once per guest (private.client_users), are part of
-- the guest's own data (my_guest_data, update_my_answers on /me) and go with the account when it
-- is deleted; organisers and promoters see only aggregates (event_guest_stats).

create table public.event_questions (
  event_id uuid primary key references public.events (id) on delete cascade,
  ask_birth_date boolean not null default false,
  min_age smallint check (min_age between 1 and 99),
  ask_gender boolean not null default false,
  ask_city boolean not null default false,
  updated_at timestamptz not null default now(),
  check (min_age is null or ask_birth_date)
);
comment on table public.event_questions is
  'What a night asks its new guests besides their names: date of birth (with an optional minimum age), gender, city. No row: nothing.';
alter table public.event_questions enable row level security;
create policy "Organization members can read their events' questions" on public.event_questions
  for select to authenticated using ((select private.is_event_member(event_id)));
revoke all on public.event_questions from anon, authenticated;

alter table private.client_users
  add column birth_date date check (birth_date >= date '1900-01-01'),
  add column gender text check (gender in ('female', 'male', 'other')),
  add column city text check (length(city) between 1 and 80);
comment on column private.client_users.birth_date is 'Date of birth, when a night asked it (or the guest gave it on /me).';
comment on column private.client_users.gender is 'female, male or other, when a night asked it.';
comment on column private.client_users.city is 'The city the guest gave, when a night asked it (1 to 80 characters, as clean_city leaves it).';

/** The questions a night asks, as the pages read them: {birth_date, min_age, gender, city}. */
create or replace function private.questions_json(p_event_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('birth_date', coalesce(q.ask_birth_date, false), 'min_age', q.min_age,
                            'gender', coalesce(q.ask_gender, false), 'city', coalesce(q.ask_city, false))
  from (select 1) one left join public.event_questions q on q.event_id = p_event_id
$$;

/**
 * A date of birth as typed (YYYY-MM-DD), or null for none: not before 1900, not in the future.
 * Raises 400 `invalid_birth_date` otherwise.
 */
create or replace function private.clean_birth_date(p_birth_date text)
returns date
language plpgsql
stable
set search_path = ''
as $$
declare
  v_date date;
begin
  if nullif(btrim(coalesce(p_birth_date, '')), '') is null then
    return null;
  end if;
  if p_birth_date !~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$' then
    perform private.fail(400, 'invalid_birth_date', 'The date of birth must be a date (YYYY-MM-DD).', 'Check the date of birth.');
  end if;
  begin
    v_date := btrim(p_birth_date)::date;
  exception when others then
    perform private.fail(400, 'invalid_birth_date', 'That date does not exist.', 'Check the date of birth.');
  end;
  if v_date < date '1900-01-01' or v_date > current_date then
    perform private.fail(400, 'invalid_birth_date', 'The date of birth must be between 1900 and today.', 'Check the date of birth.');
  end if;
  return v_date;
end
$$;

/** A gender answer: female, male or other, or null for none; 400 `invalid_gender` otherwise. */
create or replace function private.clean_gender(p_gender text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if nullif(coalesce(p_gender, ''), '') is null then
    return null;
  end if;
  if p_gender not in ('female', 'male', 'other') then
    perform private.fail(400, 'invalid_gender', 'The gender must be female, male or other.', 'Pick one of the choices.');
  end if;
  return p_gender;
end
$$;

/**
 * A city as typed: invisible characters removed, spaces as one, NFC; then 1 to 80 characters of
 * letters, marks, digits, spaces and . ' ’ - ( ) , — or null for none; 400 `invalid_city`.
 */
create or replace function private.clean_city(p_city text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_city text := normalize(btrim(regexp_replace(private.strip_invisible(p_city), private.space_class() || '+', ' ', 'g'), ' '), nfc);
begin
  if v_city = '' then
    return null;
  end if;
  if length(v_city) > 80 or v_city ~ '[[:cntrl:]<>{}\[\]\\/@#$%^&*=+|~`"_;:!?]' then
    perform private.fail(400, 'invalid_city', 'The city must be up to 80 characters of a place name.', 'Check the city.');
  end if;
  return v_city;
end
$$;

/** The age in whole years on the night's date (its start), or null without a date of birth. */
create or replace function private.age_at_event(p_birth_date date, p_event_id uuid)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select extract(year from age((e.starts_at at time zone 'Europe/Lisbon')::date, p_birth_date))::integer
  from public.events e where e.id = p_event_id and p_birth_date is not null
$$;

/**
 * Whether an account is too young for a night it has no pass for: the night has a minimum age
 * and the account's date of birth says younger. An unknown date of birth is not refused (the
 * door sees "age not given": private.door_age_json).
 */
create or replace function private.too_young(p_client_user_id uuid, p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.age_at_event(u.birth_date, q.event_id) < q.min_age, false)
     and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id)
  from public.event_questions q, private.client_users u
  where q.event_id = p_event_id and u.id = p_client_user_id and q.min_age is not null
$$;

/**
 * For the door: the guest's age on the night when the night asks the date of birth, else null:
 * {"age": 23 or null (not given), "min_age": 18 or null, "old_enough": true, false or null}.
 */
create or replace function private.door_age_json(p_client_user_id uuid, p_event_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('age', a.age, 'min_age', q.min_age,
                            'old_enough', case when q.min_age is null then null else a.age >= q.min_age end)
  from public.event_questions q
  cross join lateral (select private.age_at_event(u.birth_date, p_event_id) as age
                      from (select 1) one left join private.client_users u on u.id = p_client_user_id) a
  where q.event_id = p_event_id and q.ask_birth_date
$$;

/**
 * The questions a night asks, for the guest page's registration form: {birth_date, min_age,
 * gender, city}. Any published night (404 `event_not_found` otherwise), read-only.
 */
create or replace function public.link_questions(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.events e where e.id = p_event_id and e.is_published) then
    perform private.fail(404, 'event_not_found', 'This night does not exist.', 'Check the link.');
  end if;
  return private.questions_json(p_event_id);
end
$$;

/**
 * An owner or admin chooses what a night asks its new guests: date of birth (`p_min_age`: an
 * optional minimum age on the night, 1–99, which needs the date of birth), gender, city. Returns
 * the questions as link_questions does.
 * Errors: not_authenticated (401), event_not_found (404, also for staff of another organization),
 * forbidden (403), invalid_min_age (400).
 */
create or replace function public.set_event_questions(p_event_id uuid, p_birth_date boolean, p_min_age integer,
  p_gender boolean, p_city boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  if p_min_age is not null and (p_min_age not between 1 and 99 or not coalesce(p_birth_date, false)) then
    perform private.fail(400, 'invalid_min_age', 'A minimum age is 1 to 99 years and needs the date of birth asked.',
      'Ask the date of birth, or leave the minimum age empty.');
  end if;
  insert into public.event_questions (event_id, ask_birth_date, min_age, ask_gender, ask_city)
  values (p_event_id, coalesce(p_birth_date, false), p_min_age, coalesce(p_gender, false), coalesce(p_city, false))
  on conflict (event_id) do update set ask_birth_date = excluded.ask_birth_date, min_age = excluded.min_age,
    ask_gender = excluded.ask_gender, ask_city = excluded.ask_city, updated_at = now();
  return private.questions_json(p_event_id);
end
$$;

/**
 * The guest of this session changes their answers (/me): date of birth, gender, city, each
 * null or empty to clear it. Returns them. Errors: invalid_session (401), invalid_birth_date,
 * invalid_gender, invalid_city (400).
 */
create or replace function public.update_my_answers(p_session_token text, p_birth_date text, p_gender text, p_city text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid := private.session_user_id(p_session_token);
  v_user private.client_users;
begin
  update private.client_users u
  set birth_date = private.clean_birth_date(p_birth_date), gender = private.clean_gender(p_gender), city = private.clean_city(p_city)
  where u.id = v_id
  returning * into v_user;
  return jsonb_build_object('birth_date', v_user.birth_date, 'gender', v_user.gender, 'city', v_user.city);
end
$$;

/**
 * A night's guests in aggregate, for /live and /promoter, only for the questions the night asks:
 * `gender` {female, male, other, unknown} and `age_bands` [{band, guests}] (under 18, 18–20,
 * 21–24, 25–29, 30–34, 35–44, 45 and over, unknown), with `guests`, the count they cover. Members
 * of the event's organization see the whole night; a promoter their own (a team leader the
 * team's) guests. Counts only, never a guest.
 * Errors: not_authenticated (401), event_not_found (404: neither a member nor linked).
 */
create or replace function public.event_guest_stats(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_all boolean;
  v_q jsonb := private.questions_json(p_event_id);
  v_result jsonb;
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see the night.', 'Sign in and try again.');
  end if;
  v_all := private.is_event_member(p_event_id)
           and exists (select 1 from public.events e join public.organization_members m on m.organization_id = e.organization_id
                       where e.id = p_event_id and m.user_id = (select auth.uid()) and m.role in ('owner', 'admin', 'staff'));
  if not v_all and not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                               and private.promoter_sees(ep.promoter_id, ep.team_id)) then
    perform private.fail(404, 'event_not_found', 'This night is not yours to see.', 'Pick one of your nights.');
  end if;
  with mine as (
    select u.gender, private.age_at_event(u.birth_date, p_event_id) as age
    from public.guests g left join private.client_users u on u.id = g.client_user_id
    where g.event_id = p_event_id and (v_all or private.promoter_sees(g.promoter_id, g.team_id))
  )
  select jsonb_build_object(
    'questions', v_q,
    'guests', (select count(*) from mine),
    'gender', case when (v_q ->> 'gender')::boolean then (
      select jsonb_build_object('female', count(*) filter (where gender = 'female'), 'male', count(*) filter (where gender = 'male'),
                                'other', count(*) filter (where gender = 'other'), 'unknown', count(*) filter (where gender is null))
      from mine) end,
    'age_bands', case when (v_q ->> 'birth_date')::boolean then (
      select jsonb_agg(jsonb_build_object('band', b.band, 'guests',
               (select count(*) from mine m where (b.lo is null and m.age is null) or m.age between b.lo and b.hi)) order by b.n)
      from (values (1, 'under_18', 0, 17), (2, '18-20', 18, 20), (3, '21-24', 21, 24), (4, '25-29', 25, 29), (5, '30-34', 30, 34),
                   (6, '35-44', 35, 44), (7, '45+', 45, 200), (8, 'unknown', null, null)) b(n, band, lo, hi)) end)
  into v_result;
  return v_result;
end
$$;

/**
 * Everything stored about the guest of this session: the account (phone, names, email, the
 * answers to the nights' questions, dates) and every pass (night, promoter, status, times).
 * Error: invalid_session (401).
 */
create or replace function public.my_guest_data(p_session_token text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid := private.session_user_id(p_session_token);
begin
  return jsonb_build_object(
    'account', (select jsonb_build_object('phone', u.phone, 'first_name', u.first_name, 'last_name', u.last_name,
                  'email', u.email, 'birth_date', u.birth_date, 'gender', u.gender, 'city', u.city,
                  'created_at', u.created_at, 'last_login_at', u.last_login_at)
                from private.client_users u where u.id = v_id),
    'passes', coalesce((
      select jsonb_agg(jsonb_build_object('event', jsonb_build_object('name', e.name, 'venue', e.venue,
               'starts_at', e.starts_at, 'ends_at', e.ends_at), 'organization', o.name, 'promoter', p.display_name,
               'status', g.status, 'registered_at', g.created_at, 'checked_in_at', g.checked_in_at) order by e.starts_at desc)
      from public.guests g
      join public.events e on e.id = g.event_id
      join public.organizations o on o.id = e.organization_id
      join public.promoters p on p.id = g.promoter_id
      where g.client_user_id = v_id), '[]'::jsonb),
    'sessions', (select count(*) from private.guest_sessions s where s.client_user_id = v_id and s.expires_at > now()));
end
$$;

-- =============================================================================================
-- Functions: a closed or full list gives back the passes it holds, and tells nobody who is on it
-- =============================================================================================

/**
 * A returning guest logs in with phone and password and gets the pass for the event.
 * `p_password` is bcrypt(password, the account's salt from check_phone_with_cache), computed by
 * the phone. Cheap refusals come first (input, link, limits); then one digest comparison, counted
 * against the address and the phone whatever its outcome.
 *
 * A closed or full list: a number with no account is refused at once (409 `guest_list_closed`,
 * no password work: check_phone_with_cache already says the number has no account). A number with
 * an account is answered only after its password: the pass it already has for the night, or 409
 * `guest_list_closed`; so the list's closing never tells someone without the password whether
 * that number is on the list (it would, if the refusal came first for those not on it).
 * Errors: invalid_phone, input_too_long (400); event_not_found, promoter_not_linked (404);
 * invalid_credentials (401, also for an unknown phone or a malformed string, after the same
 * work); too_young (403: the night's minimum age, by the date of birth the guest gave; a guest
 * already on the list keeps their pass); guest_list_closed (409); account_locked, rate_limited (429), busy (429, the event's
 * pace: repeat the call after Retry-After).
 */
create or replace function public.authenticate_and_create_guest_v2(p_phone text, p_password text,
  p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_address text := private.client_ip();
  v_link record;
  v_user private.client_users;
begin
  perform private.check_length('p_password', p_password, 72);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select * into v_user from private.client_users u where u.phone = v_phone;
  if v_user.id is null then
    perform private.check_list_open(v_link.event_id, null);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user.id is not null);
  if not private.password_matches(p_password, v_user.password_digest) then
    return private.password_failed(v_phone, v_address, 401, 'invalid_credentials', 'Wrong phone number or password.',
      'Check both and try again.');
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user.id);
  if private.too_young(v_user.id, v_link.event_id) then
    return private.committed_error(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  return private.issue_pass_committed(v_user.id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A new guest registers and gets the pass for the event. `p_password` is bcrypt(password, a new
 * random salt) computed by the phone, cost at least `min_bcrypt_cost`; the database keeps its salt
 * and sha256. Needs a proof of work from registration_challenge (p_proof "<challenge>:<nonce>",
 * client/pow.ts); a retry of the same registration presents the same proof and the same string,
 * and gets the same pass (the account exists by then and the string matches). Another string for
 * a phone that already has an account: 409 `phone_already_registered`. New accounts are limited
 * per address (`new_accounts`). A closed or full list refuses a new number at once and answers a
 * number with an account only after its password, as authenticate_and_create_guest_v2 does.
 * The night's questions (public.event_questions): each one it asks must be answered
 * (`p_birth_date` YYYY-MM-DD, `p_gender` female|male|other, `p_city`); a new account keeps the
 * answers; under the night's minimum age on its date: 403 `too_young`, before anything is counted.
 * Errors: invalid_phone, weak_password (a malformed string or too low a cost), invalid_first_name,
 * invalid_last_name, invalid_email, invalid_birth_date, invalid_gender, invalid_city,
 * input_too_long, proof_required, proof_invalid, proof_reused (400); too_young (403); and those of
 * authenticate_and_create_guest_v2.
 */
drop function public.register_and_create_guest_v2(text, text, text, text, text, uuid, uuid, uuid, text);
create function public.register_and_create_guest_v2(p_phone text, p_first_name text, p_last_name text,
  p_email text, p_password text, p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null,
  p_proof text default null, p_birth_date text default null, p_gender text default null, p_city text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_first_name text := private.clean_name('first_name', p_first_name);
  v_last_name text := private.clean_name('last_name', p_last_name);
  v_email text := private.clean_email(p_email);
  v_birth_date date := private.clean_birth_date(p_birth_date);
  v_gender text := private.clean_gender(p_gender);
  v_city text := private.clean_city(p_city);
  v_address text := private.client_ip();
  v_link record;
  v_user_id uuid;
  v_digest bytea;
  v_new boolean := false;
  v_q jsonb;
begin
  perform private.check_password_hash(p_password);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  v_q := private.questions_json(v_link.event_id);
  if (v_q ->> 'birth_date')::boolean and v_birth_date is null then
    perform private.fail(400, 'invalid_birth_date', 'This night asks for your date of birth.', 'Fill in the date of birth.');
  end if;
  if (v_q ->> 'gender')::boolean and v_gender is null then
    perform private.fail(400, 'invalid_gender', 'This night asks for your gender.', 'Pick one of the choices.');
  end if;
  if (v_q ->> 'city')::boolean and v_city is null then
    perform private.fail(400, 'invalid_city', 'This night asks for your city.', 'Fill in the city.');
  end if;
  if private.age_at_event(v_birth_date, v_link.event_id) < (v_q ->> 'min_age')::integer then
    perform private.fail(403, 'too_young', 'This night has a minimum age, and the date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  select u.id into v_user_id from private.client_users u where u.phone = v_phone;
  if v_user_id is null then
    perform private.check_list_open(v_link.event_id, null);
  end if;
  perform private.check_proof(p_proof, v_phone);
  if v_user_id is null then
    perform private.rate_limit('new_accounts', v_address, false);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user_id is not null);

  if v_user_id is null then
    -- Two registrations of one new number at once: one inserts, the other finds its account.
    insert into private.client_users (phone, first_name, last_name, email, password_salt, password_digest, birth_date, gender, city)
    select v_phone, v_first_name, v_last_name, v_email, s.salt, s.digest, v_birth_date, v_gender, v_city
    from private.stored_password(p_password) s
    on conflict (phone) do nothing
    returning id into v_user_id;
    v_new := v_user_id is not null;
  end if;
  if v_new then
    perform private.rate_limit_add('new_accounts', v_address, 1);
    perform private.cache_phone(v_phone, true);
  else
    select u.id, u.password_digest into v_user_id, v_digest from private.client_users u where u.phone = v_phone;
    if not private.password_matches(p_password, v_digest) then
      return private.password_failed(v_phone, v_address, 409, 'phone_already_registered',
        'This phone number already has an account.', 'Log in with your password instead.');
    end if;
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user_id);
  if private.too_young(v_user_id, v_link.event_id) then
    return private.committed_error(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  return private.issue_pass_committed(v_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A returning guest with a session joins another night without a password (no bcrypt). A guest
 * already on the night's list gets their pass back even when the list is closed or full (the
 * session proves who they are, so this tells them nothing new).
 * Errors: invalid_session (401), input_too_long (400), too_young (403: the night's minimum age,
 * by the date of birth the guest gave), and the link and list errors.
 */
create or replace function public.join_event_with_session(p_session_token text, p_event_id uuid,
  p_promoter_id uuid, p_team_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_client_user_id uuid;
  v_link record;
begin
  perform private.check_length('p_session_token', p_session_token, 100);
  select s.client_user_id into v_client_user_id
  from private.guest_sessions s
  where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();
  if not found then
    perform private.fail(401, 'invalid_session', 'Your session has expired.',
      'Log in with your phone number and password.');
  end if;
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  if private.too_young(v_client_user_id, v_link.event_id) then
    perform private.fail(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  return private.issue_pass(v_client_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id, p_session_token);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function public.register_and_create_guest_v2(text, text, text, text, text, uuid, uuid, uuid, text, text, text, text),
  public.link_questions(uuid), public.set_event_questions(uuid, boolean, integer, boolean, boolean),
  public.update_my_answers(text, text, text, text), public.event_guest_stats(uuid)
  from public, anon, authenticated;
grant execute on function public.register_and_create_guest_v2(text, text, text, text, text, uuid, uuid, uuid, text, text, text, text),
  public.update_my_answers(text, text, text, text)
  to anon;
grant execute on function public.link_questions(uuid) to anon;
grant execute on function public.set_event_questions(uuid, boolean, integer, boolean, boolean), public.event_guest_stats(uuid)
  to authenticated;
revoke execute on function private.questions_json(uuid), private.clean_birth_date(text), private.clean_gender(text),
  private.clean_city(text), private.age_at_event(date, uuid), private.too_young(uuid, uuid), private.door_age_json(uuid, uuid)
  from public, anon, authenticated;

revoke execute on function private.space_class(), private.strip_invisible(text),
  private.login_failure_key(text, text) from public, anon, authenticated;
