export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      checkins: {
        Row: {
          at: string
          direction: string
          event_id: string
          guest_id: string | null
          id: string
          nonce: string
          offline_at: string | null
          offline_verdict: string | null
          plus_ones: number
          result: string
          scanned_by: string
        }
        Insert: {
          at?: string
          direction?: string
          event_id: string
          guest_id?: string | null
          id?: string
          nonce: string
          offline_at?: string | null
          offline_verdict?: string | null
          plus_ones?: number
          result: string
          scanned_by: string
        }
        Update: {
          at?: string
          direction?: string
          event_id?: string
          guest_id?: string | null
          id?: string
          nonce?: string
          offline_at?: string | null
          offline_verdict?: string | null
          plus_ones?: number
          result?: string
          scanned_by?: string
        }
        Relationships: [
          {
            foreignKeyName: "checkins_event_id_fkey"
            columns: ["event_id"]
            referencedRelation: "events"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "checkins_guest_id_fkey"
            columns: ["guest_id"]
            referencedRelation: "guests"
            referencedColumns: ["id"]
          },
        ]
      }
      event_promoters: {
        Row: {
          created_at: string
          event_id: string
          promoter_id: string
          team_id: string | null
        }
        Insert: {
          created_at?: string
          event_id: string
          promoter_id: string
          team_id?: string | null
        }
        Update: {
          created_at?: string
          event_id?: string
          promoter_id?: string
          team_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "event_promoters_event_id_fkey"
            columns: ["event_id"]
            referencedRelation: "events"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "event_promoters_promoter_id_fkey"
            columns: ["promoter_id"]
            referencedRelation: "promoters"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "event_promoters_team_id_promoter_id_fkey"
            columns: ["team_id", "promoter_id"]
            referencedRelation: "team_members"
            referencedColumns: ["team_id", "promoter_id"]
          },
        ]
      }
      event_questions: {
        Row: {
          ask_birth_date: boolean
          ask_city: boolean
          ask_gender: boolean
          event_id: string
          min_age: number | null
          updated_at: string
        }
        Insert: {
          ask_birth_date?: boolean
          ask_city?: boolean
          ask_gender?: boolean
          event_id: string
          min_age?: number | null
          updated_at?: string
        }
        Update: {
          ask_birth_date?: boolean
          ask_city?: boolean
          ask_gender?: boolean
          event_id?: string
          min_age?: number | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "event_questions_event_id_fkey"
            columns: ["event_id"]
            referencedRelation: "events"
            referencedColumns: ["id"]
          },
        ]
      }
      events: {
        Row: {
          capacity: number | null
          created_at: string
          ends_at: string
          guest_list_closes_at: string
          id: string
          is_published: boolean
          name: string
          organization_id: string
          plus_ones_max: number
          requires_approval: boolean
          slug: string
          starts_at: string
          venue: string | null
          version: number
          waiting_list: boolean
        }
        Insert: {
          capacity?: number | null
          created_at?: string
          ends_at: string
          guest_list_closes_at: string
          id?: string
          is_published?: boolean
          name: string
          organization_id: string
          plus_ones_max?: number
          requires_approval?: boolean
          slug: string
          starts_at: string
          venue?: string | null
          version?: number
          waiting_list?: boolean
        }
        Update: {
          capacity?: number | null
          created_at?: string
          ends_at?: string
          guest_list_closes_at?: string
          id?: string
          is_published?: boolean
          name?: string
          organization_id?: string
          plus_ones_max?: number
          requires_approval?: boolean
          slug?: string
          starts_at?: string
          venue?: string | null
          version?: number
          waiting_list?: boolean
        }
        Relationships: [
          {
            foreignKeyName: "events_organization_id_fkey"
            columns: ["organization_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      guests: {
        Row: {
          added_by: string | null
          added_name: string | null
          added_phone: string | null
          checked_in_at: string | null
          client_user_id: string | null
          created_at: string
          event_id: string
          id: string
          plus_ones: number
          promoter_id: string
          qr_token: string
          revoked_at: string | null
          revoked_reason: string | null
          short_code: string | null
          source: string
          status: string
          team_id: string | null
        }
        Insert: {
          added_by?: string | null
          added_name?: string | null
          added_phone?: string | null
          checked_in_at?: string | null
          client_user_id?: string | null
          created_at?: string
          event_id: string
          id?: string
          plus_ones?: number
          promoter_id: string
          qr_token?: string
          revoked_at?: string | null
          revoked_reason?: string | null
          short_code?: never
          source?: string
          status?: string
          team_id?: string | null
        }
        Update: {
          added_by?: string | null
          added_name?: string | null
          added_phone?: string | null
          checked_in_at?: string | null
          client_user_id?: string | null
          created_at?: string
          event_id?: string
          id?: string
          plus_ones?: number
          promoter_id?: string
          qr_token?: string
          revoked_at?: string | null
          revoked_reason?: string | null
          short_code?: never
          source?: string
          status?: string
          team_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "guests_event_id_fkey"
            columns: ["event_id"]
            referencedRelation: "events"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "guests_promoter_id_fkey"
            columns: ["promoter_id"]
            referencedRelation: "promoters"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "guests_team_id_fkey"
            columns: ["team_id"]
            referencedRelation: "teams"
            referencedColumns: ["id"]
          },
        ]
      }
      invitations: {
        Row: {
          accepted_at: string | null
          accepted_by: string | null
          created_at: string
          email: string
          expires_at: string
          id: string
          invited_by: string | null
          organization_id: string
          promoter_id: string | null
          role: string
          token_hash: string
        }
        Insert: {
          accepted_at?: string | null
          accepted_by?: string | null
          created_at?: string
          email: string
          expires_at: string
          id?: string
          invited_by?: string | null
          organization_id: string
          promoter_id?: string | null
          role: string
          token_hash: string
        }
        Update: {
          accepted_at?: string | null
          accepted_by?: string | null
          created_at?: string
          email?: string
          expires_at?: string
          id?: string
          invited_by?: string | null
          organization_id?: string
          promoter_id?: string | null
          role?: string
          token_hash?: string
        }
        Relationships: [
          {
            foreignKeyName: "invitations_organization_id_fkey"
            columns: ["organization_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "invitations_promoter_id_fkey"
            columns: ["promoter_id"]
            referencedRelation: "promoters"
            referencedColumns: ["id"]
          },
        ]
      }
      organization_members: {
        Row: {
          created_at: string
          organization_id: string
          role: string
          user_id: string
        }
        Insert: {
          created_at?: string
          organization_id: string
          role: string
          user_id: string
        }
        Update: {
          created_at?: string
          organization_id?: string
          role?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "organization_members_organization_id_fkey"
            columns: ["organization_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      organizations: {
        Row: {
          created_at: string
          id: string
          name: string
        }
        Insert: {
          created_at?: string
          id?: string
          name: string
        }
        Update: {
          created_at?: string
          id?: string
          name?: string
        }
        Relationships: []
      }
      promoters: {
        Row: {
          created_at: string
          display_name: string
          id: string
          organization_id: string
          slug: string
          user_id: string | null
        }
        Insert: {
          created_at?: string
          display_name: string
          id?: string
          organization_id: string
          slug: string
          user_id?: string | null
        }
        Update: {
          created_at?: string
          display_name?: string
          id?: string
          organization_id?: string
          slug?: string
          user_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "promoters_organization_id_fkey"
            columns: ["organization_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "promoters_organization_id_user_id_fkey"
            columns: ["organization_id", "user_id"]
            referencedRelation: "organization_members"
            referencedColumns: ["organization_id", "user_id"]
          },
        ]
      }
      team_members: {
        Row: {
          is_leader: boolean
          promoter_id: string
          team_id: string
        }
        Insert: {
          is_leader?: boolean
          promoter_id: string
          team_id: string
        }
        Update: {
          is_leader?: boolean
          promoter_id?: string
          team_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "team_members_promoter_id_fkey"
            columns: ["promoter_id"]
            referencedRelation: "promoters"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "team_members_team_id_fkey"
            columns: ["team_id"]
            referencedRelation: "teams"
            referencedColumns: ["id"]
          },
        ]
      }
      teams: {
        Row: {
          created_at: string
          id: string
          name: string
          organization_id: string
        }
        Insert: {
          created_at?: string
          id?: string
          name: string
          organization_id: string
        }
        Update: {
          created_at?: string
          id?: string
          name?: string
          organization_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "teams_organization_id_fkey"
            columns: ["organization_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      accept_invitation: { Args: { p_token: string }; Returns: Json }
      add_guest_by_hand: {
        Args: {
          p_event_id: string
          p_name: string
          p_phone: string
          p_plus_ones?: number
          p_promoter_id: string
          p_source: string
        }
        Returns: Json
      }
      authenticate_and_create_guest_v2: {
        Args: {
          p_birth_date?: string
          p_event_id: string
          p_password: string
          p_phone: string
          p_promoter_id: string
          p_team_id?: string
        }
        Returns: Json
      }
      authorize_event_broadcast: { Args: { p_event_id: string }; Returns: Json }
      ban_phone: {
        Args: { p_organization_id: string; p_phone: string; p_reason: string }
        Returns: Json
      }
      check_in_guest: {
        Args: { p_event_id: string; p_nonce: string; p_qr_token: string }
        Returns: Json
      }
      check_in_guest_by_id: {
        Args: { p_event_id: string; p_guest_id: string; p_nonce: string }
        Returns: Json
      }
      check_out_guest: {
        Args: { p_event_id: string; p_nonce: string; p_qr_token: string }
        Returns: Json
      }
      check_phone_with_cache: { Args: { p_phone: string }; Returns: Json }
      claim_outbox: { Args: { p_limit?: number }; Returns: Json }
      client_address: { Args: Record<PropertyKey, never>; Returns: Json }
      complete_outbox: {
        Args: { p_error?: string; p_id: number }
        Returns: undefined
      }
      create_event: {
        Args: {
          p_capacity?: number
          p_ends_at: string
          p_guest_list_closes_at: string
          p_is_published?: boolean
          p_name: string
          p_organization_id: string
          p_slug: string
          p_starts_at: string
          p_venue: string
        }
        Returns: Json
      }
      create_organization: { Args: { p_name: string }; Returns: Json }
      create_promoter: {
        Args: {
          p_display_name: string
          p_organization_id: string
          p_slug: string
        }
        Returns: Json
      }
      create_team: {
        Args: { p_name: string; p_organization_id: string }
        Returns: Json
      }
      decide_pending_guest: {
        Args: { p_approve: boolean; p_event_id: string; p_guest_id: string }
        Returns: Json
      }
      delete_my_guest_account: {
        Args: { p_session_token: string }
        Returns: Json
      }
      deploy_status: { Args: Record<PropertyKey, never>; Returns: Json }
      door_list: { Args: { p_event_id: string }; Returns: Json }
      door_sync: { Args: { p_event_id: string; p_scans: Json }; Returns: Json }
      duplicate_event: {
        Args: { p_days?: number; p_event_id: string; p_slug: string }
        Returns: Json
      }
      event_dashboard: { Args: { p_event_id: string }; Returns: Json }
      event_guest_stats: { Args: { p_event_id: string }; Returns: Json }
      event_list: { Args: { p_event_id: string }; Returns: Json }
      export_guest_list: {
        Args: { p_event_id: string; p_lang?: string; p_time_zone?: string }
        Returns: string
      }
      find_guests: {
        Args: { p_event_id: string; p_query: string }
        Returns: Json
      }
      invite_member: {
        Args: {
          p_email: string
          p_organization_id: string
          p_promoter_id?: string
          p_role: string
        }
        Returns: Json
      }
      join_event_with_session: {
        Args: {
          p_birth_date?: string
          p_event_id: string
          p_promoter_id: string
          p_session_token: string
          p_team_id?: string
        }
        Returns: Json
      }
      latest_announcement: { Args: { p_event_id: string }; Returns: Json }
      link_promoter: {
        Args: { p_event_id: string; p_promoter_id: string; p_team_id?: string }
        Returns: Json
      }
      link_questions: { Args: { p_event_id: string }; Returns: Json }
      my_events: { Args: Record<PropertyKey, never>; Returns: Json }
      my_guest_data: { Args: { p_session_token: string }; Returns: Json }
      my_organizations: { Args: Record<PropertyKey, never>; Returns: Json }
      my_pass: {
        Args: { p_event_id: string; p_session_token: string }
        Returns: Json
      }
      ops_stats: { Args: { p_event_id?: string }; Returns: Json }
      organization_bans: { Args: { p_organization_id: string }; Returns: Json }
      organization_overview: {
        Args: { p_organization_id: string }
        Returns: Json
      }
      promoter_event_feed: { Args: { p_event_id: string }; Returns: Json }
      promoter_overview: { Args: Record<PropertyKey, never>; Returns: Json }
      record_link_open: {
        Args: { p_event_slug: string; p_promoter_slug: string }
        Returns: undefined
      }
      register_and_create_guest_v2: {
        Args: {
          p_birth_date?: string
          p_city?: string
          p_email: string
          p_event_id: string
          p_first_name: string
          p_gender?: string
          p_last_name: string
          p_password: string
          p_phone: string
          p_promoter_id: string
          p_proof?: string
          p_team_id?: string
        }
        Returns: Json
      }
      registration_challenge: {
        Args: Record<PropertyKey, never>
        Returns: Json
      }
      reinstate_guest_account: { Args: { p_phone: string }; Returns: Json }
      remove_member: {
        Args: { p_organization_id: string; p_user_id: string }
        Returns: Json
      }
      request_pass_email: {
        Args: { p_guest_id: string; p_session_token: string }
        Returns: Json
      }
      request_password_reset: { Args: { p_phone: string }; Returns: Json }
      reset_guest_password: {
        Args: { p_password: string; p_token: string }
        Returns: Json
      }
      resolve_promoter_link: {
        Args: { p_event_slug: string; p_promoter_slug: string }
        Returns: Json
      }
      revoke_guest: {
        Args: { p_event_id: string; p_guest_id: string; p_reason: string }
        Returns: Json
      }
      revoke_invitation: { Args: { p_invitation_id: string }; Returns: Json }
      send_announcement: {
        Args: { p_event_id: string; p_kind: string; p_message: string }
        Returns: Json
      }
      set_door_settings: {
        Args: { p_event_id: string; p_exit_scans: boolean }
        Returns: Json
      }
      set_event_list_rules: {
        Args: {
          p_event_id: string
          p_plus_ones_max: number
          p_requires_approval: boolean
          p_waiting_list: boolean
        }
        Returns: Json
      }
      set_event_questions: {
        Args: {
          p_birth_date: boolean
          p_city: boolean
          p_event_id: string
          p_gender: boolean
          p_min_age: number
        }
        Returns: Json
      }
      set_event_quota: {
        Args: {
          p_event_id: string
          p_places: number
          p_promoter_id: string
          p_team_id: string
        }
        Returns: Json
      }
      set_event_registration_limit: {
        Args: { p_event_id: string; p_per_minute: number }
        Returns: Json
      }
      set_member_role: {
        Args: {
          p_organization_id: string
          p_promoter_id?: string
          p_role: string
          p_user_id: string
        }
        Returns: Json
      }
      set_my_plus_ones: {
        Args: {
          p_event_id: string
          p_plus_ones: number
          p_session_token: string
        }
        Returns: Json
      }
      set_team_member: {
        Args: {
          p_is_leader?: boolean
          p_member?: boolean
          p_promoter_id: string
          p_team_id: string
        }
        Returns: Json
      }
      suspend_guest_account: {
        Args: { p_phone: string; p_reason: string }
        Returns: Json
      }
      unban_phone: {
        Args: { p_ban_id?: string; p_organization_id: string; p_phone?: string }
        Returns: Json
      }
      unlink_promoter: {
        Args: { p_event_id: string; p_promoter_id: string }
        Returns: Json
      }
      update_event: {
        Args: {
          p_capacity?: number
          p_ends_at: string
          p_event_id: string
          p_guest_list_closes_at: string
          p_is_published?: boolean
          p_name: string
          p_slug: string
          p_starts_at: string
          p_venue: string
          p_version: number
        }
        Returns: Json
      }
      update_my_answers: {
        Args: {
          p_birth_date: string
          p_city: string
          p_gender: string
          p_session_token: string
        }
        Returns: Json
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const

